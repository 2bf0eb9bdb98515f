"""The judge end to end against a real small instruct model served locally (scripts/llm).

SmolLM2-135M-Instruct behind llama-cpp-python's OpenAI-compatible server, one thread, on a
free loopback port. Its labels are weak: this checks the plumbing (probing, structured output,
records, the session's files), not judge quality. Without the server this module skips
locally and fails in CI (CI=true or JAL_REQUIRE_LLM=1).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jupyter_al import Session, replay
from jupyter_al.judge import Judge, JudgeCache
from tests.conftest import free_port, make_text_frame

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "llm"
LABELS = ["sports", "tech", "food"]
MODEL = "smollm2-135m-instruct"


def _required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("JAL_REQUIRE_LLM") == "1"


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    venv = Path(os.environ.get("LLM_VENV", ROOT / ".venv-llm"))
    if not (venv / "bin" / "python").exists():
        if _required():
            pytest.fail(f"no LLM server venv at {venv}: scripts/test runs `scripts/llm install`")
        pytest.skip(f"no LLM server venv at {venv} (run scripts/llm install)")
    port = free_port()
    env = {
        **os.environ,
        "LLM_LOCAL_DIR": str(tmp_path_factory.mktemp("llm")),
        "LLM_PORT": str(port),
        "LLM_MODEL": MODEL,
    }
    started = subprocess.run(
        [str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if started.returncode != 0:
        msg = f"scripts/llm start failed:\n{started.stderr[-2000:]}"
        if _required():
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=60, check=False)


def test_a_session_with_a_real_local_judge(llm_url: str, tmp_path: Path) -> None:
    frame = make_text_frame(120, 0)
    judge = Judge(
        MODEL,
        base_url=llm_url,
        rubric="Say which topic the words are about: sports, tech or food.",
        rubric_version="topics-1",
        max_tokens=80,
        timeout=120,
        concurrency=1,  # the server answers one request at a time
        price_input=0.1,
        price_output=0.4,
    )
    with Session(
        frame,
        text="text",
        labels=LABELS,
        holdout=0.1,
        holdout_label_column="topic",
        batch_size=4,
        random_state=0,
        store=tmp_path / "run",
        llm_judge=True,
        judge=judge,
        judge_eval=3,
        strategy="judge_triage",
    ) as s:
        batch = s.next_batch()  # the cold start: the judge is not asked yet
        for item_id in batch.index:
            s.label(item_id, frame.loc[item_id, "topic"])
        s.submit()
        batch = s.next_batch()  # triage: the judge is asked about the shortlist
        assert batch["strategy"].iloc[0] == "judge_triage"
        records = s.judge_records()
    assert set(records["use"]) == {"evaluation", "prioritization"}
    assert len(records) == 3 + 3 * 4
    # llama.cpp's server refuses json_schema: the judge probed once and moved to json_object
    assert set(records["format_mode"]) == {"json_object"}
    assert judge.format_mode == "json_object"
    assert set(records["model_answered"].dropna()) == {MODEL}
    assert set(records["endpoint"]) == {llm_url}
    assert (records["prompt_tokens"] > 0).all()
    assert (records["latency_s"] > 0).all()
    assert (records["cache_hit"] == False).all()  # noqa: E712  # why: a numpy bool column
    ok = records[records["value"].notna()]
    # the schema held the model to the label set; a failure, if any, says why
    assert set(ok["value"]) <= set(LABELS)
    assert records[records["value"].isna()]["error"].notna().all()
    assert (ok["cost"] > 0).all()
    events = [json.loads(x) for x in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    judged = [e for e in events if e.get("type") == "judged"]
    assert [e["use"] for e in judged] == ["evaluation", "prioritization"]
    assert sum(e["cost"] for e in judged) == pytest.approx(records["cost"].sum())
    # what was asked is cached: the same question again costs nothing and needs no server
    cache = JudgeCache(tmp_path / "run" / "cache" / "judge.sqlite")
    assert len(cache) == len(ok)
    assert replay(tmp_path / "run", frame).ok
