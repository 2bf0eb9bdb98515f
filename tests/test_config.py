"""Config and Budget: validation on creation, JSON round trip."""

from __future__ import annotations

import pytest

from jupyter_al import Budget, Config
from jupyter_al._config import DEFAULT_MAX_ROUNDS
from jupyter_al.exceptions import ConfigError


def test_round_trip():
    cfg = Config(
        labels=("a", "b"),
        text="t",
        batch_size=7,
        budget=Budget(max_labels=30),
        holdout=0.3,
        plateau_patience=3,
    )

    assert cfg == Config.from_dict(cfg.to_dict())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"labels": ("a",)}, "at least 2 distinct"),
        ({"labels": ("a", "b", "a")}, "labels must be unique"),
        ({"labels": ("a", " ")}, "non-empty"),
        ({"text": None}, "exactly one of text= "),
        ({"features": ("x",)}, "exactly one of text= "),
        ({"task": "sorting"}, "task must be one of"),
        ({"task": "ranking"}, "task='ranking' needs query="),
        ({"task": "extraction", "labels": ()}, "at least 1 span type"),
        ({"task": "regression"}, "labels must be empty for task='regression'"),
        ({"task": "ranking", "labels": ("0",), "query": "q"}, "at least 2 grades"),
        ({"query": "q"}, "query= and query_id= are for task='ranking'"),
        ({"span_overlap": "sometimes"}, "span_overlap must be one of"),
        ({"task": "extraction", "llm_judge": True}, "llm_judge=True works with"),
        ({"prediction_unit": "paragraph"}, "prediction_unit must be one of"),
        ({"prediction_unit": "sentence", "text": None, "features": ("x",)}, "pass text="),
        ({"prediction_unit": "sentence", "task": "regression", "labels": ()}, "use 'row'"),
        ({"unit": (("size", 5),)}, "apply to sentence, chunk or message"),
        ({"prediction_unit": "chunk", "unit": (("width", 5),)}, "unknown options"),
        ({"batch_size": -1}, "batch_size must be a positive integer, got -1"),
        ({"holdout": 2.0}, "between 0 and 1"),
        ({"random_state": -3}, "random_state"),
        ({"plateau_patience": 0}, "plateau_patience"),
    ],
)
def test_invalid_answers_name_the_argument(kwargs, match):
    base = {"labels": ("a", "b"), "text": "t"}
    base.update(kwargs)

    with pytest.raises(ConfigError, match=match):
        Config(**base)


def test_budget_coercion():
    assert Budget(max_labels=5) == Budget.coerce(5)
    assert Budget(max_rounds=DEFAULT_MAX_ROUNDS) == Budget.coerce(None)
    assert Budget(max_minutes=3.0) == Budget.coerce({"max_minutes": 3.0})
    with pytest.raises(ConfigError, match="unknown keys"):
        Budget.coerce({"max_label": 3})
    with pytest.raises(ConfigError, match="budget must be"):
        Budget.coerce("100")  # type: ignore[arg-type]


def test_config_is_frozen():
    cfg = Config(labels=("a", "b"), text="t")

    with pytest.raises(AttributeError):
        cfg.batch_size = 3  # type: ignore[misc]


def test_round_trip_with_descriptions_and_image_shape():
    cfg = Config(
        labels=("0", "1"),
        features=tuple(f"p{i}" for i in range(4)),
        image_shape=(2, 2),
        label_descriptions=(("0", "a zero"), ("1", "a one")),
    )

    assert cfg == Config.from_dict(cfg.to_dict())
    with pytest.raises(ConfigError, match="outside the schema"):
        Config(labels=("0", "1"), text="t", label_descriptions=(("2", "two"),))
