"""The static table of Keras's optimizer, loss and metric names agrees with the installed Keras."""

from __future__ import annotations


def test_the_table_is_what_the_installed_keras_resolves():
    import keras

    from upspec.modelspec.compile_names import generate
    from upspec.modelspec.compile_names import keras_names

    table = keras_names()
    current = generate()
    if table["keras_version"] == keras.__version__:
        assert table == current, "regenerate: python -m upspec.modelspec.compile_names"
    else:  # another Keras: every name the spec check accepts must still resolve
        for kind in ("optimizers", "losses", "metrics"):
            assert set(table[kind]) <= set(current[kind]) | {"lion", "muon", "schedulefreeadamw", "circle",
                                                              "tversky", "dice"}, kind


def test_the_names_specs_use_are_in_the_table():
    from upspec.modelspec.compile_names import keras_names

    table = keras_names()
    assert {"adam", "sgd", "rmsprop"} <= set(table["optimizers"])
    assert {"mean_squared_error", "mse", "mean_absolute_error", "binary_crossentropy"} <= set(table["losses"])
    assert {"accuracy", "binary_accuracy"} <= set(table["metrics"])
