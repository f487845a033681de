"""Encoded columns of a fitted preprocessor traced back to the original columns."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from auditkit.explain.codec import TabularCodec
from auditkit.explain.feature_map import FeatureMapError, build_feature_map, identity_map, split_model


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame({
        "colour": rng.choice(["red", "green", "blue"], size=n).astype(object),
        "age": rng.integers(18, 80, size=n),
        "city": rng.choice(["a", "b", "c", "d"], size=n).astype(object),
        "income": rng.normal(50, 10, size=n),
    })


def _fitted(ct, X):
    return ct.fit(X)


def test_one_hot_dummies_map_to_their_column(X):
    ct = _fitted(ColumnTransformer([("cat", OneHotEncoder(), ["colour", "city"]),
                                    ("num", "passthrough", ["age", "income"])]), X)
    fmap = build_feature_map(ct, list(X.columns))
    assert fmap.sources == ["colour"] * 3 + ["city"] * 4 + ["age", "income"]
    assert fmap.features == ["colour", "age", "city", "income"]
    assert fmap.encoded_counts() == {"colour": 3, "age": 1, "city": 4, "income": 1}
    assert len(fmap.sources) == ct.transform(X).shape[1]


def test_to_original_sums_the_dummies(X):
    ct = _fitted(ColumnTransformer([("cat", OneHotEncoder(), ["colour"])], remainder="passthrough"), X)
    fmap = build_feature_map(ct, list(X.columns))
    encoded = np.arange(6, dtype=float).reshape(1, 6)  # colour ×3, then age, city, income
    assert fmap.sources == ["colour"] * 3 + ["age", "city", "income"]
    np.testing.assert_array_equal(fmap.to_original(encoded), [[0 + 1 + 2, 3, 4, 5]])


def test_dropped_columns_stay_with_zero_width(X):
    ct = _fitted(ColumnTransformer([("num", StandardScaler(), ["age"]), ("gone", "drop", ["income"])],
                                   remainder="drop"), X)
    fmap = build_feature_map(ct, list(X.columns))
    assert fmap.sources == ["age"]
    assert fmap.encoded_counts()["income"] == 0
    np.testing.assert_array_equal(fmap.to_original(np.array([[2.5]])), [[0.0, 2.5, 0.0, 0.0]])


def test_nested_pipeline_int_and_mask_selectors(X):
    cat = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(drop="first"))
    ct = _fitted(ColumnTransformer([("cat", cat, [0]), ("num", StandardScaler(), [False, True, False, True])],
                                   remainder="drop"), X)
    fmap = build_feature_map(ct, list(X.columns))
    assert fmap.sources == ["colour", "colour", "age", "income"]  # drop="first": 3 − 1 dummies


def test_infrequent_categories_are_one_column(X):
    X = X.copy()
    X.loc[:2, "city"] = "rare"
    ct = _fitted(ColumnTransformer([("cat", OneHotEncoder(min_frequency=5), ["city"])]), X)
    fmap = build_feature_map(ct, list(X.columns))
    assert len(fmap.sources) == ct.transform(X).shape[1]
    assert set(fmap.sources) == {"city"}


def test_pipeline_split_and_map(X):
    model = Pipeline([("prep", ColumnTransformer([("cat", OneHotEncoder(), ["colour", "city"])],
                                                 remainder="passthrough")),
                      ("scale", StandardScaler()), ("clf", LogisticRegression())])
    model.fit(X, (X["income"] > 50).astype(int))
    prep, final = split_model(model)
    assert isinstance(final, LogisticRegression)
    fmap = build_feature_map(prep, list(X.columns))
    assert len(fmap.sources) == len(final.coef_[0])
    assert fmap.sources[:7] == ["colour"] * 3 + ["city"] * 4


@pytest.mark.parametrize("transformer", [PCA(n_components=2), FunctionTransformer(np.log1p)])
def test_mixing_transformers_are_refused(X, transformer):
    ct = _fitted(ColumnTransformer([("num", transformer, ["age", "income"])]), X)
    with pytest.raises(FeatureMapError):
        build_feature_map(ct, list(X.columns))


def test_no_preprocessor_is_identity():
    assert split_model(LogisticRegression())[0] is None
    assert build_feature_map(None, ["a", "b"]) == identity_map(["a", "b"])


def test_codec_round_trip_keeps_values_and_missing():
    X = pd.DataFrame({"sex": ["F", "M", None, "F"], "age": [30, 40, 50, 60], "x": [0.5, np.nan, 1.0, 2.0]})
    codec = TabularCodec.fit(X)
    codes = codec.encode(X)
    back = codec.decode(codes)
    assert back["sex"].tolist()[:2] == ["F", "M"] and pd.isna(back["sex"].iloc[2])
    assert back["age"].dtype == X["age"].dtype and back["age"].tolist() == X["age"].tolist()
    np.testing.assert_array_equal(back["x"].to_numpy(), X["x"].to_numpy())
    assert codec.category_names() == {0: ["F", "M", "missing"]}


def test_codec_learns_categories_of_every_frame_and_refuses_unseen_ones():
    codec = TabularCodec.fit(pd.DataFrame({"c": ["b", "a"]}), pd.DataFrame({"c": ["z", None]}))
    assert codec.encode(pd.DataFrame({"c": ["z", None, "a"]})).tolist() == [[2.0], [3.0], [0.0]]
    with pytest.raises(ValueError, match="column 'c' holds values the coder was not fitted with: 'y'"):
        codec.encode(pd.DataFrame({"c": ["y"]}))
