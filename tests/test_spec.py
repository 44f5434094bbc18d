"""Model spec: JSON round trip, schema version, unknown keys and bad shapes rejected by name."""
import json

import pytest

from dualspike.errors import SpecError
from dualspike.spec import BUILTIN, LayerSpec, ModelSpec, builtin


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtin_round_trip(name):
    spec = builtin(name)
    again = ModelSpec.from_json(spec.to_json())
    assert again == spec and again.digest() == spec.digest()
    assert isinstance(json.loads(spec.to_json())["layers"][0]["out_channels"], int)


def test_reference_shapes():
    assert [s[1] for s in builtin("scnn5-mnist").layer_shapes()] == [
        (32, 28, 28), (32, 14, 14), (64, 7, 7), (64, 3, 3), (10, 1, 1)]
    dvs = builtin("scnn7-dvs")
    assert dvs.layer_shapes()[-1] == ((128, 4, 4), (11, 1, 1)) and dvs.fan_in(6) == 2048
    assert builtin("scnn9-cifar").weight_shape(0) == (64, 3, 3, 3)


def _d(**changes):
    d = builtin("scnn5-mnist").to_dict()
    d.update(changes)
    return d


@pytest.mark.parametrize("d, msg", [
    (_d(colour="red"), "unknown key.*colour"),
    (_d(layers=[{"kind": "conv", "out_channels": 4, "stride": 2}, {"kind": "fc", "out_channels": 2}]),
     r"layers\[0\]: unknown key.*stride"),
    (_d(T="4"), "T must be an int"),
    (_d(encoding="rate"), "encoding = 'rate'"),
    (_d(input_shape=[1, 28]), "input_shape must be"),
    (_d(layers=[{"kind": "fc", "out_channels": 4}, {"kind": "conv", "out_channels": 2}]),
     r"layers\[1\].kind: a conv layer cannot follow"),
    (_d(layers=[{"kind": "conv", "out_channels": 4}]), "must be fc"),
    (_d(layers=[{"kind": "fc", "out_channels": 4, "pool": True}]), "only conv layers can pool"),
    (_d(layers=[{"kind": "fc", "out_channels": 0}]), r"layers\[0\].out_channels = 0"),
    (_d(layers=[{"kind": "fc", "out_channels": 3, "reset": "soft"}]), "reset = 'soft'"),
    (_d(layers=[{"kind": "fc", "out_channels": 3, "leak": 20}]), r"leak = 20 is outside \[0, 15\]"),
    (_d(schema_version=9), "schema_version"),
    (_d(encoding="events"), "events encoding has 2 channels"),
    (_d(input_shape=[1, 1, 1], layers=[{"kind": "conv", "out_channels": 2, "pool": True},
                                        {"kind": "fc", "out_channels": 2}]), "too small to pool"),
])
def test_bad_specs_name_the_field(d, msg):
    with pytest.raises(SpecError, match=msg):
        ModelSpec.from_dict(d)


def test_unknown_model_and_bad_json():
    with pytest.raises(SpecError, match="built-in models are"):
        builtin("resnet50")
    with pytest.raises(SpecError, match="not valid JSON"):
        ModelSpec.from_json("{")


def test_spec_is_frozen_and_hash_changes_with_shape():
    spec = builtin("scnn5-mnist")
    with pytest.raises(Exception):
        spec.T = 8
    assert spec.replace(T=8).hash32() != spec.hash32()
    assert LayerSpec("fc", 3) == LayerSpec("fc", 3)
