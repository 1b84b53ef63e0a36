"""Feature matching's view of a critic: a model from its input to its hidden features
(Salimans et al. 2016, section 3.1), which `keras_wgan.losses.FeatureMatching` scores."""

import keras


def _final_features(model, what):
    """The input tensor of a functional model's last layer (its last hidden features)."""
    if not isinstance(model, keras.Model) or not hasattr(model, "inputs") or not model.inputs:
        raise ValueError(f"{what} needs a functional Keras model (built with keras.Input).")
    if len(model.outputs) != 1:
        raise ValueError(
            f"{what} needs a critic with one output; this one has "
            f"{len(model.outputs)} (a conditional critic is not supported)."
        )
    last = model.layers[-1]
    features = last.input
    if isinstance(features, (list, tuple)) or len(features.shape) != 2:
        raise ValueError(
            f"{what} needs a critic whose last layer takes flat features "
            f"[batch, A]; its last layer {last.name!r} takes {features}."
        )
    return features


def _inputs(model):
    """A functional model's input, in the structure it is called with."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def feature_layer_names(critic):
    """The layers of a functional critic whose output can serve as feature matching's f."""
    return [layer.name for layer in critic.layers[1:-1]]


def feature_model(critic, layer=None):
    """A model from the critic's input to its features f for feature matching: the output
    of the layer named `layer`, or by default the input of the critic's last layer (its
    last hidden features). It shares the critic's weights."""
    if layer is None:
        features = _final_features(critic, "Feature matching")
    else:
        names = feature_layer_names(critic)
        if layer not in names:
            raise ValueError(
                f"Invalid value for argument `layer` of feature matching: the critic has "
                f"no hidden layer {layer!r}; its hidden layers are {names}."
            )
        features = critic.get_layer(layer).output
    return keras.Model(_inputs(critic), features, name=f"{critic.name}_features")
