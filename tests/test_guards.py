"""Tests of the failure-mode guards: each trips on a pool built with its trap, not without."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_al import Session, simulate
from jupyter_al import _guards as gd
from jupyter_al._dedup import find_duplicates

SMS = Path(__file__).resolve().parents[2] / "shared" / "data" / "sms_spam" / "SMSSpamCollection.tsv"


def _unit(A):
    return A / np.linalg.norm(A, axis=1, keepdims=True)


# ---------------------------------------------------------------- pure guard functions


def test_duplicate_pool_trips_above_its_threshold_only():
    near = np.array([0, 0, 1, 1, 1] + [-1] * 15)

    g = gd.duplicate_pool(near, n_pool=20)
    ok = gd.duplicate_pool(np.array([0, 0] + [-1] * 38), n_pool=40)

    assert g.value == 0.25
    assert g.tripped
    assert "25.0% of the pool (5 of 20 items) sits in 2 near-duplicate groups" in g.message
    assert not ok.tripped


def test_near_identical_counts_within_batch_and_across_rounds():
    group = {"a": 1, "b": 1, "c": 2, "d": -1, "e": -1}

    g = gd.near_identical(list(group), group.get, earlier_groups={2})
    clean = gd.near_identical(["d", "e"], group.get, earlier_groups={1, 2})

    assert g.value == pytest.approx(0.6)
    assert g.tripped
    assert {"within": ["a", "b"], "across": ["c"]} == g.details
    assert clean.value == 0.0
    assert not clean.tripped


def test_outliers_selected_trips_for_a_batch_of_lone_points():
    rng = np.random.default_rng(0)
    d = 40
    centre = np.zeros(d)
    centre[0] = 1.0
    typical = _unit(centre + 0.2 * rng.standard_normal((500, d)))
    lone = _unit(rng.standard_normal((10, d)) * np.r_[0.0, np.ones(d - 1)])
    V = np.vstack([typical, lone])

    bad = gd.outliers_selected(V, np.arange(500, 510), np.random.default_rng(1))
    good = gd.outliers_selected(V, np.arange(0, 10), np.random.default_rng(1))

    assert bad.value == 1.0
    assert bad.tripped
    assert "margin_density" in bad.message
    assert good.value <= 0.2
    assert not good.tripped


def test_class_imbalance_needs_enough_labels_to_trip():
    assert gd.class_imbalance(["a"] * 9 + ["b"], 2).tripped
    assert not gd.class_imbalance(["a"] * 4, 2).tripped  # 100%, but only 4 labels
    assert not gd.class_imbalance(["a"] * 5 + ["b"] * 5, 2).tripped
    multi = gd.class_imbalance([("a", "b")] * 6, 3)
    assert multi.value == 1.0


def test_schema_confusion_trips_when_corrections_concentrate_on_one_pair():
    mixed = [("refund", "return")] * 6 + [("return", "refund")] * 3 + [("card", "card")] * 20
    spread = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "c"), ("b", "a"), ("c", "b")] * 2

    g = gd.schema_confusion(mixed, 3)
    s = gd.schema_confusion(spread, 3)
    binary = gd.schema_confusion([("ham", "spam")] * 30, 2)

    assert g.value == 1.0
    assert g.tripped
    assert "between 'refund' and 'return'" in g.message
    assert not s.tripped
    assert binary.value == 1.0
    assert not binary.tripped, "with two labels every correction is between them"


def test_skip_rate_reports_the_worst_predicted_class():
    g = gd.skip_rate({"a": 10, "b": 10, "c": 2}, {"a": 1, "c": 2}, {"b": 4})

    assert g.value == 0.4
    assert g.tripped
    assert "items predicted 'b' were skipped or marked unsure 40.0% of the time" in g.message
    assert "c" not in g.details["rates"], "too few items shown to say anything"


def test_eval_leakage_counts_held_out_items_once():
    g = gd.eval_leakage(50, [("h1", 3, True), ("h1", 4, False), ("h2", 5, False)])

    assert g.value == 0.04
    assert g.tripped
    assert "2 of 50 held-out items (4.0%) have a duplicate among the labeled items (1 exact)" in (
        g.message
    )


def test_suspicious_labels_lists_the_strongest_contradictions_first():
    ids = list(range(100))
    given = ["a"] * 100
    p_given = np.full(100, 0.9)
    p_given[[7, 3]] = [0.01, 0.05]
    sugg = ["a"] * 100
    sugg[7] = sugg[3] = "b"
    p_sugg = np.where(p_given < 0.1, 0.95, 0.9)

    g = gd.suspicious_labels(ids, given, p_given, sugg, p_sugg, flagged=p_given < 0.1)

    assert g.value == 0.02
    assert [7, 3] == [x["id"] for x in g.details["items"]]
    assert "e.g. 7: given 'a' at 0.01, the model says 'b' at 0.95" in g.message


def test_confident_issues_uses_per_class_self_confidence():
    # class 1 is hard (self-confidence 0.6): 0.62 for class 1 is confident enough there
    P = np.array([[0.9, 0.1]] * 4 + [[0.4, 0.6]] * 4 + [[0.38, 0.62], [0.95, 0.05]])
    y = np.array([0] * 4 + [1] * 4 + [0, 1])

    flags, other = gd.confident_issues(P, y)

    assert [8, 9] == np.flatnonzero(flags).tolist()
    assert [1, 0] == other[[8, 9]].tolist()


# ------------------------------------------------------------------ through a session


def _text_pool(n=300, *, seed=0):
    rng = np.random.default_rng(seed)
    vocab = {
        "pos": ["good", "great", "fine", "nice", "lovely", "superb"],
        "neg": ["bad", "awful", "poor", "sad", "ugly", "terrible"],
    }
    rows = []
    for i in range(n):
        y = "pos" if i % 2 else "neg"
        words = [*rng.choice(vocab[y], 4), f"w{rng.integers(200)}", f"z{i}"]
        rows.append({"text": " ".join(words), "y": y})
    return pd.DataFrame(rows)


def _guards_of(store, round_):
    for line in (Path(store) / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event.get("type") == "round_closed" and event["round"] == round_:
            return {g["name"]: g for g in event["guards"]}
    raise AssertionError(f"no round {round_}")


def test_suspicious_labels_finds_flipped_labels_in_the_data(tmp_path):
    df = _text_pool(300)
    flipped = df.index[:200:20]  # 10 of the 200 given labels flipped
    df.loc[flipped, "y"] = df.loc[flipped, "y"].map({"pos": "neg", "neg": "pos"})
    df.loc[df.index[200:], "y"] = None  # the rest is the pool to label

    with Session(
        df, text="text", label_column="y", holdout=0.2, store=tmp_path / "r", random_state=0
    ) as s:
        holdout = set(s.holdout_ids)

    g = _guards_of(tmp_path / "r", 0)["suspicious_labels"]
    listed = {x["id"] for x in g["details"]["items"]}
    in_pool = set(flipped.tolist()) - holdout
    assert len(listed & in_pool) >= 0.5 * len(in_pool), "finds half the flips or more"
    assert len(listed & in_pool) >= 0.8 * len(listed), "and little else"


def test_eval_leakage_trips_when_the_held_out_set_copies_labeled_items(tmp_path):
    df = _text_pool(200)
    df.loc[df.index[150:], "y"] = None
    held = df.iloc[:40].copy()
    held.index = [f"h{i}" for i in range(40)]
    held.loc[held.index[:10], "text"] = df["text"].iloc[100:110].str.upper().to_numpy()

    Session(
        df.iloc[100:],
        text="text",
        label_column="y",
        holdout=held,
        holdout_label_column="y",
        store=tmp_path / "r",
        random_state=0,
    ).close()

    g = _guards_of(tmp_path / "r", 0)["eval_leakage"]
    assert g["tripped"]
    assert g["value"] == 0.25


def test_guards_are_in_results_and_notes_and_can_be_switched(tmp_path):
    df = _text_pool(200)

    simulate(df, text="text", oracle="y", batch_size=10, rounds=2, store=tmp_path / "all")
    simulate(
        df, text="text", oracle="y", batch_size=10, rounds=2, store=tmp_path / "fast", guards="fast"
    )
    simulate(
        df, text="text", oracle="y", batch_size=10, rounds=2, store=tmp_path / "off", guards="off"
    )

    res = pd.read_csv(tmp_path / "all" / "results.tsv", sep="\t")
    assert {"guards_tripped", "guard:near_identical", "guard:suspicious_labels"} <= set(res.columns)
    assert (
        "- guards (value / threshold): duplicate_pool"
        in (tmp_path / "all" / "notes.md").read_text()
    )
    fast = pd.read_csv(tmp_path / "fast" / "results.tsv", sep="\t")
    assert "guard:near_identical" in fast.columns
    assert "guard:suspicious_labels" not in fast.columns
    off = pd.read_csv(tmp_path / "off" / "results.tsv", sep="\t")
    assert not [c for c in off.columns if c.startswith("guard:")]


def test_bad_guards_mode_is_refused(tmp_path):
    with pytest.raises(Exception, match=r"guards must be one of \['all', 'fast', 'off'\]"):
        Session(_text_pool(50), text="text", label_column="y", guards="some", store=tmp_path / "r")


@pytest.mark.skipif(not SMS.exists(), reason="../shared/data is beside the checkout in CI")
def test_on_sms_spam_a_diversity_aware_batch_holds_no_near_duplicates_and_margin_does(tmp_path):
    df = pd.read_csv(SMS, sep="\t")
    batches = {}
    for strategy in ("margin", "margin_kcenter"):
        store = tmp_path / strategy
        simulate(
            df,
            text="SMS",
            oracle="Label",
            strategy=strategy,
            batch_size=20,
            rounds=3,
            store=store,
            random_state=0,
            guards="fast",
        )
        sel = pd.read_json(store / "selection_round_02.jsonl", lines=True)
        assert (sel["strategy"] == strategy).all()
        batches[strategy] = df.loc[sel["id"], "SMS"].tolist()

    # detected independently of the pool's groups: near-duplicates among the 20 texts alone
    groups = {k: find_duplicates(v).near for k, v in batches.items()}
    assert (groups["margin"] >= 0).sum() >= 2
    assert (groups["margin_kcenter"] >= 0).sum() == 0
    assert _guards_of(tmp_path / "margin", 2)["near_identical"]["tripped"]
    assert not _guards_of(tmp_path / "margin_kcenter", 2)["near_identical"]["tripped"]


def test_the_session_and_its_widget_expose_the_last_rounds_guards(tmp_path):
    s = simulate(
        _text_pool(200),
        text="text",
        oracle="y",
        batch_size=10,
        rounds=2,
        store=tmp_path / "r",
        guards="fast",
    )

    table = s.guards()
    w = s.widget

    assert ["round", "name", "value", "threshold", "tripped", "message"] == list(table.columns)
    assert {1, 2} <= set(table["round"])
    assert {g["name"] for g in w.guards} == set(table.loc[table["round"] == 2, "name"])
    assert all(g["round"] == 2 for g in w.guards)
