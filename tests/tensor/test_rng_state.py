"""Generator.get_state / set_state and chainrule.get_rng_state / set_rng_state: a state is a
uint8 tensor (PyTorch's ByteTensor) that continues the same stream of draws."""

import json

import pytest

import chainrule as cr
from tests.tensor.oracle import raises_with


def test_generator_state_resumes_the_draws():
    g = cr.Generator(11)
    cr.rand(5, generator=g)
    state = g.get_state()
    assert state.dtype == cr.uint8 and state.ndim == 1
    first = cr.randn(4, 3, generator=g).tolist() + cr.randint(0, 100, (6,), generator=g).tolist()
    cr.rand(7, generator=g)  # more draws, then back
    assert g.set_state(state) is g
    again = cr.randn(4, 3, generator=g).tolist() + cr.randint(0, 100, (6,), generator=g).tolist()
    assert again == first
    assert g.initial_seed() == 11


def test_state_is_a_copy_and_restores_the_initial_seed():
    g = cr.Generator(5)
    state = g.get_state()
    before = state.tolist()
    cr.rand(3, generator=g)
    assert g.get_state().tolist() != before and state.tolist() == before
    g.manual_seed(7)
    g.set_state(state)
    assert g.initial_seed() == 5
    assert cr.rand(3, generator=g).tolist() == cr.rand(3, generator=cr.Generator(5)).tolist()


def test_state_moves_between_generators():
    a, b = cr.Generator(1), cr.Generator(2)
    cr.rand(10, generator=a)
    b.set_state(a.get_state())
    assert cr.rand(5, generator=a).tolist() == cr.rand(5, generator=b).tolist()


def test_state_is_json_with_the_pcg64_state_and_seed():
    g = cr.Generator(123)
    doc = json.loads(bytes(g.get_state().tolist()).decode())
    assert doc["bit_generator"] == "PCG64" and doc["initial_seed"] == 123
    assert int(doc["state"]["state"]) == g.rng.bit_generator.state["state"]["state"]


def test_default_generator_state():
    cr.manual_seed(3)
    cr.randn(2)
    state = cr.get_rng_state()
    x = cr.randn(5).tolist()
    cr.nn.init.uniform_(cr.empty(3))  # init draws from the default generator too
    assert cr.set_rng_state(state) is None
    assert cr.randn(5).tolist() == x
    assert cr.initial_seed() == 3


def test_state_round_trips_through_a_checkpoint(tmp_path):
    pytest.importorskip("safetensors")
    cr.manual_seed(4)
    cr.rand(3)
    cr.save({"rng": cr.get_rng_state()}, tmp_path / "rng.ckpt")
    x = cr.rand(6).tolist()
    cr.set_rng_state(cr.load(tmp_path / "rng.ckpt")["rng"])
    assert cr.rand(6).tolist() == x


def test_bad_states():
    g = cr.Generator(0)
    good = g.get_state()
    raises_with(TypeError, lambda: g.set_state([1, 2]), "uint8", "list")
    raises_with(TypeError, lambda: g.set_state(good.float()), "uint8", "float32")
    raises_with(RuntimeError, lambda: g.set_state(cr.zeros(3, dtype=cr.uint8)), "not an RNG state",
                "JSON")
    raises_with(RuntimeError, lambda: g.set_state(good.reshape(1, -1)), "1-d")
    raises_with(RuntimeError, lambda: g.set_state(cr.tensor(list(b"[1, 2]"), dtype=cr.uint8)),
                "keys")

    def edited(**change):
        doc = json.loads(bytes(good.tolist()).decode())
        doc.update(change)
        return cr.tensor(list(json.dumps(doc).encode()), dtype=cr.uint8)

    raises_with(RuntimeError, lambda: g.set_state(edited(bit_generator="MT19937")), "PCG64")
    raises_with(RuntimeError, lambda: g.set_state(edited(state={"state": "-1", "inc": "1"})),
                "128-bit")
    raises_with(RuntimeError, lambda: g.set_state(edited(state={"state": str(2**128),
                                                                 "inc": "1"})), "128-bit")
    raises_with(RuntimeError, lambda: g.set_state(edited(has_uint32=2)), "has_uint32")
    raises_with(RuntimeError, lambda: g.set_state(edited(initial_seed="0")), "initial_seed")
    # a failed set_state leaves the generator as it was
    x = cr.rand(3, generator=g).tolist()
    g.set_state(good)
    assert cr.rand(3, generator=g).tolist() == x
