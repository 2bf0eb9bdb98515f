"""Server config for the browser tests only: loopback, no token, app exposed to the page.

Never use it for a real server. Used for JupyterLab (LabApp) and Notebook 7
(JupyterNotebookApp), both started by ui-tests/conftest.py.
"""

import json
import os
from pathlib import Path
from tempfile import mkdtemp

c = get_config()  # type: ignore[name-defined]  # noqa: F821  # why: jupyter's config namespace

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ["JAL_UI_PORT"])
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.ServerApp.root_dir = os.environ["JAL_UI_ROOT"]
c.IdentityProvider.token = ""
c.ServerApp.password = ""
c.ServerApp.disable_check_xsrf = True
c.ServerApp.allow_root = True  # CI runs as root
c.LanguageServerManager.autodetect = False
# fresh settings and workspaces; no news toast over the notebook
settings = Path(mkdtemp(prefix="jal-settings-"))
notes = settings / "@jupyterlab" / "apputils-extension"
notes.mkdir(parents=True)
(notes / "notification.jupyterlab-settings").write_text(
    json.dumps({"fetchNews": "false", "checkForUpdates": False})
)
for app in ("LabApp", "JupyterNotebookApp"):
    getattr(c, app).expose_app_in_browser = True
    getattr(c, app).user_settings_dir = str(settings)
    getattr(c, app).workspaces_dir = mkdtemp(prefix="jal-workspaces-")
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
