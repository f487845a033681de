"""Which rows an audit audits (auditkit/io/audit_rows.py, context.py): held-out rows, `split`, `sample`."""

from __future__ import annotations

import functools

import pytest
from sklearn.dummy import DummyClassifier

from auditkit import AuditSpec, audit, audit_to_dir, build_context, cli, datasets
from auditkit.exceptions import InputError
from auditkit.report.context_facts import cannot_tell

HELD_OUT = {"adult": 16281, "compas": 2165, "german": 300}
ROWS = {"adult": 48842, "compas": 7214, "german": 1000}


@functools.cache
def trained_on_training_part(name: str) -> DummyClassifier:
    """A model fitted on the training part of ``name``'s documented split, as a user would."""
    train = datasets.load(name, split="train")
    return DummyClassifier(strategy="stratified", random_state=0).fit(train.data, train.target)


def held_out(name: str) -> set[int]:
    return set(datasets.documented_split(name).test.tolist())


def settings(name: str, mode: str) -> dict:
    if mode == "model":
        return {"model": trained_on_training_part(name)}
    return {"predictions": "compas_high_risk"} if mode == "predictions" else {}


@pytest.mark.parametrize(("name", "mode", "n"), [
    ("german", "reference", 200), ("german", "model", 200),
    ("adult", "reference", 500), ("adult", "model", 500),
    ("compas", "reference", 400), ("compas", "model", 400), ("compas", "predictions", 400),
])
def test_sample_n_audits_n_rows(name, mode, n):
    ctx = build_context(AuditSpec(data=name, sample=n, seed=3, **settings(name, mode)))
    assert len(ctx.frame) == len(ctx.y_true) == len(ctx.y_pred) == ctx.n_rows == n
    assert ctx.frame.index.is_unique
    pool = set(range(ROWS[name])) if mode == "predictions" else held_out(name)
    assert set(ctx.frame.index) <= pool
    split = ctx.provenance["split"]
    assert (split["sample"], split["rows_audited"], split["rows"]) == (n, n, len(pool))


@pytest.mark.parametrize(("name", "mode", "expected"), [
    ("german", "model", "test"), ("adult", "model", "test"), ("compas", "model", "test"),
    ("german", "reference", "test"), ("compas", "predictions", "all"),
])
def test_by_default_a_model_on_a_bundled_dataset_is_audited_on_its_held_out_rows(name, mode, expected):
    ctx = build_context(AuditSpec(data=name, **settings(name, mode)))
    rows = held_out(name) if expected == "test" else set(range(ROWS[name]))
    assert set(ctx.frame.index) == rows and ctx.n_rows == len(rows)
    split = ctx.provenance["split"]
    assert (split["split"], split["rows_audited"]) == (expected, len(rows))
    assert split["made_by"] == ("dataset" if expected == "test" else None)


def test_the_reference_model_and_a_model_trained_on_the_training_part_are_audited_on_the_same_rows():
    reference = build_context(AuditSpec(data="german"))
    given = build_context(AuditSpec(data="german", model=trained_on_training_part("german")))
    assert sorted(reference.frame.index) == sorted(given.frame.index) == sorted(held_out("german"))
    assert set(reference.X_train.index) == set(datasets.documented_split("german").train.tolist())


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_the_reference_model_is_never_audited_on_a_row_it_was_trained_on(seed):
    frame = datasets.make_biased(500, seed=0).frame
    for spec in (AuditSpec(data="german", seed=seed), AuditSpec(data="german", seed=seed, sample=50),
                 AuditSpec(data=frame, target="label", sensitive=["group"], seed=seed),
                 AuditSpec(data=frame, target="label", sensitive=["group"], seed=seed, sample=20)):
        ctx = build_context(spec)
        assert not set(ctx.frame.index) & set(ctx.X_train.index)
        assert ctx.provenance["split"]["rows_in_training_part"] == 0


def test_the_seed_does_not_move_a_bundled_split_but_moves_auditkits_own():
    bundled = [sorted(build_context(AuditSpec(data="german", seed=seed)).frame.index) for seed in (1, 2)]
    assert bundled[0] == bundled[1] == sorted(held_out("german"))
    frame = datasets.load("german").frame
    own = [sorted(build_context(AuditSpec(data=frame, target="credit_risk", positive_label="good",
                                          sensitive=["sex"], seed=seed)).frame.index) for seed in (1, 2)]
    assert own[0] != own[1] and len(own[0]) == len(own[1]) == 300


def test_a_file_with_the_reference_model_samples_its_held_out_rows():
    frame = datasets.make_biased(1000, seed=0).frame
    full = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], seed=4))
    sampled = build_context(AuditSpec(data=frame, target="label", sensitive=["group"], seed=4, sample=200))
    assert (full.n_rows, sampled.n_rows) == (300, 200)
    assert set(sampled.frame.index) <= set(full.frame.index)
    assert sampled.X_train.index.equals(full.X_train.index)  # the sample does not change the model's training
    assert sampled.provenance["split"]["made_by"] == "auditkit"


def test_a_sample_of_at_least_the_held_out_rows_audits_all_of_them():
    ctx = build_context(AuditSpec(data="german", sample=500))
    split = ctx.provenance["split"]
    assert (ctx.n_rows, split["sample"], split["rows"], split["rows_audited"]) == (300, 500, 300, 300)


@pytest.mark.parametrize(("sample", "in_training"), [(None, 700), (400, None)])
def test_split_all_on_a_bundled_dataset_is_a_finding_naming_the_training_rows(sample, in_training):
    model = trained_on_training_part("german")
    result = audit(data="german", model=model, split="all", sample=sample, steps=["performance"], progress=False)
    doc = result.to_dict()
    audited = set(build_context(AuditSpec(data="german", model=model, split="all", sample=sample)).frame.index)
    expected = len(audited & set(datasets.documented_split("german").train.tolist()))  # counted independently
    assert in_training is None or expected == in_training
    assert doc["dataset"]["n_rows"] == (sample or 1000)
    assert doc["provenance"]["split"]["rows_in_training_part"] == expected
    [finding] = [f for f in doc["findings"] if f["id"] == "performance.training_rows"]
    assert finding["severity"] == "medium"
    assert finding["message"].startswith(f"{expected:,} of the {sample or 1000:,} audited rows are in german's "
                                         "documented training part")
    assert finding["evidence"]["rows_in_training_part"] == expected


@pytest.mark.parametrize("settings", [
    {"model": "given"},                                  # held-out rows: none of the training part
    {"predictions": "compas_high_risk", "split": "all"},  # decisions no model auditkit knows was trained on
    {},                                                  # the reference model
])
def test_no_training_rows_finding_without_a_given_model_on_training_rows(settings):
    if settings.get("model") == "given":
        settings = {"model": trained_on_training_part("compas")}
    doc = audit(data="compas", sample=300, steps=["performance"], progress=False, **settings).to_dict()
    assert not [f for f in doc["findings"] if f["id"] == "performance.training_rows"]


def test_decisions_on_the_held_out_rows_when_asked():
    ctx = build_context(AuditSpec(data="compas", predictions="compas_high_risk", split="test"))
    assert set(ctx.frame.index) == held_out("compas")
    assert ctx.provenance["split"]["rows_in_training_part"] == 0


def test_what_cannot_be_known_is_said_for_a_model_on_other_data():
    frame = datasets.load("german").frame
    model = trained_on_training_part("german")
    doc = audit(data=frame, model=model, target="credit_risk", positive_label="good", sensitive=["sex"],
                features=datasets.load("german").feature_names, steps=["performance"], progress=False).to_dict()
    assert doc["dataset"]["n_rows"] == 1000
    assert doc["provenance"]["split"]["rows_in_training_part"] is None
    assert not [f for f in doc["findings"] if f["id"] == "performance.training_rows"]
    assert any(line.startswith("Whether the audited rows include rows the model was trained on cannot be known")
               for line in cannot_tell(doc))


@pytest.mark.parametrize(("spec", "message"), [
    ({"data": "german", "split": "all"},
     "split='all' would audit the reference model on its training rows; pass model= or predictions=, or leave "
     "split= out to audit the rows held out from its training"),
    ({"data": "german", "split": "train"}, "split must be one of test, all; got 'train' (str)"),
    ({"data": "german", "split": True}, "split must be one of test, all; got True (bool)"),
])
def test_bad_split_settings_are_refused_when_the_spec_is_built(spec, message):
    with pytest.raises(InputError) as refused:
        AuditSpec(**spec)
    assert str(refused.value) == message


def test_split_test_needs_a_documented_split():
    frame = datasets.load("german").frame
    with pytest.raises(InputError) as refused:
        build_context(AuditSpec(data=frame, target="credit_risk", positive_label="good", sensitive=["sex"],
                                predictions="credit_risk", split="test"))
    assert str(refused.value) == (
        "split='test' audits a bundled dataset's held-out rows; DataFrame has no documented split, so an audit of "
        "existing decisions audits every row: leave split= out, or pass only the held-out rows as data")


def test_test_size_is_refused_where_a_documented_split_is_used():
    with pytest.raises(InputError) as refused:
        build_context(AuditSpec(data="german", test_size=0.5))
    assert str(refused.value) == (
        "test_size applies when auditkit splits the data itself; the bundled dataset german has a documented "
        "held-out split (300 rows, see its datasheet) that the reference model is audited on: leave test_size out")


def test_the_cli_audits_n_rows_and_takes_split(tmp_path, capsys):
    out = tmp_path / "german"
    assert cli.main(["audit", "--data", "german", "--sample", "200", "--steps", "performance", "-q",
                     "--no-report", "--out", str(out)]) == 0
    import json

    doc = json.loads((out / "audit.json").read_text())
    assert doc["dataset"]["n_rows"] == doc["performance"]["overall"]["n"] == 200
    assert doc["dataset"]["spec"]["split"] is None and doc["provenance"]["split"]["split"] == "test"
    assert cli.main(["audit", "--data", "german", "--split", "all", "-q", "--no-report",
                     "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.strip() == (
        "auditkit: error: --split all would audit the reference model on its training rows; pass --model or "
        "--predictions, or leave --split out to audit the rows held out from its training")
    assert "--split" in cli.build_parser()._subparsers._group_actions[0].choices["audit"].format_help()


def test_the_model_card_and_report_say_which_rows_were_audited(tmp_path):
    audit_to_dir(out_dir=tmp_path, data="german", sample=200, steps=["performance"], report=False)
    card = (tmp_path / "model_card.md").read_text()
    assert ("**Rows audited:** 200 — german's documented held-out split: a stratified 30 % of the rows (300), "
            "held out by auditkit with seed 0; the other 700 rows are the training part; a seeded sample of 200 "
            "of its 300 rows") in card
    assert ("auditkit trained the reference model on 700 rows of german, the training part of its documented "
            "split; it was evaluated on a seeded sample of 200 of the other 300 rows.") in card
