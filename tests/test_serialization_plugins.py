"""Codecs and result decoders come from plugins: built-ins through the public hooks, third-party
types through a ``qrt.plugins`` entry point, duplicates reported with both plugins named."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import pytest

from qrt_core import Codec, ResultDecoder, RuntimeDecoder, RuntimeEncoder, hookimpl
from qrt_core.builtin.codecs import BUILTIN_CODECS
from qrt_core.serialization import LazyType
from qrt_core.testing import on_sys_path, write_plugin

FRACTION_PLUGIN = """
from fractions import Fraction

from qrt_core import Codec, ResultDecoder, hookimpl


class HalfDecoder(ResultDecoder):
    @classmethod
    def decode(cls, data):
        return super().decode(data) / 2


@hookimpl
def qrt_register_codecs(register):
    register(Codec(type_name="Fraction", python_type=Fraction,
                   encode=lambda f: [f.numerator, f.denominator], decode=lambda v: Fraction(*v)))


@hookimpl
def qrt_register_result_decoders(register):
    register("half", HalfDecoder)
"""


def dumps(obj):
    return json.dumps(obj, cls=RuntimeEncoder)


def loads(text):
    return json.loads(text, cls=RuntimeDecoder)


class CodecPlugin:
    """A plugin object that registers the codecs it is given."""

    def __init__(self, *codecs: Codec, override: bool = False):
        self.codecs = codecs
        self.override = override

    @hookimpl
    def qrt_register_codecs(self, register):
        for codec in self.codecs:
            register(codec, override=self.override)


def fraction_codec(tag: str = "Fraction") -> Codec:
    return Codec(type_name=tag, python_type=Fraction,
                 encode=lambda f: [f.numerator, f.denominator], decode=lambda v: Fraction(*v))


def test_a_third_party_distribution_adds_a_type_in_this_and_other_processes(tmp_path, plugin_host):
    write_plugin(tmp_path, "qrtt-fractions", FRACTION_PLUGIN, module="qrtt_fractions_plugin")
    with on_sys_path(tmp_path):
        text = dumps({"ratio": Fraction(3, 4), "many": [Fraction(1, 3)]})
        assert json.loads(text)["ratio"] == {"__type__": "Fraction", "__value__": [3, 4]}
        assert loads(text) == {"ratio": Fraction(3, 4), "many": [Fraction(1, 3)]}
        assert plugin_host.table("codecs")["Fraction"].plugin == "qrtt-fractions"
        decoder = plugin_host.table("result_decoders")["half"].value
        assert decoder.decode(dumps(Fraction(1, 2))) == Fraction(1, 4)
        code = (
            "import json, fractions; from qrt_core import RuntimeEncoder, RuntimeDecoder;"
            "t = json.dumps(fractions.Fraction(5, 7), cls=RuntimeEncoder); print(t);"
            "print(json.loads(t, cls=RuntimeDecoder))"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ['{"__type__": "Fraction", "__value__": [5, 7]}', "5/7"]
    sys.modules.pop("qrtt_fractions_plugin", None)


def test_codecs_registered_at_run_time_apply_until_unregistered(plugin_host):
    with pytest.raises(TypeError, match="fractions.Fraction is not JSON serializable"):
        dumps(Fraction(1, 2))
    text = '{"__type__": "Fraction", "__value__": [1, 2]}'
    assert loads(text) == {"__type__": "Fraction", "__value__": [1, 2]}  # unknown tag: a dict
    plugin_host.register(CodecPlugin(fraction_codec()), name="qrtt-runtime-codec")
    try:
        assert dumps(Fraction(1, 2)) == text
        assert loads(text) == Fraction(1, 2)
    finally:
        plugin_host.unregister("qrtt-runtime-codec")
    with pytest.raises(TypeError):
        dumps(Fraction(1, 2))


def test_a_tuple_of_types_and_subclasses_resolve_through_the_mro(plugin_host):
    class MyFraction(Fraction):
        pass

    codec = Codec(type_name="Number", python_type=(Fraction, bytes),
                  encode=lambda v: str(v) if isinstance(v, Fraction) else v.hex(), decode=str)
    plugin_host.register(CodecPlugin(codec), name="qrtt-tuple")
    assert json.loads(dumps([MyFraction(1, 3), b"\x01"])) == [
        {"__type__": "Number", "__value__": "1/3"},
        {"__type__": "Number", "__value__": "01"},
    ]


def _duplicate_messages(host, plugin: str) -> list[str]:
    return [p.message for p in host.problems() if p.plugin == plugin and p.kind == "duplicate"]


def test_a_tag_registered_twice_names_both_plugins(plugin_host):
    plugin_host.register(CodecPlugin(fraction_codec()), name="qrtt-first")
    plugin_host.register(CodecPlugin(fraction_codec()), name="qrtt-second")
    assert _duplicate_messages(plugin_host, "qrtt-second") == [
        "Plugin 'qrtt-second' registers codec 'Fraction', which plugin 'qrtt-first' already "
        "registered; ignored (pass override=True to replace it)."
    ]
    assert plugin_host.table("codecs")["Fraction"].plugin == "qrtt-first"


def test_a_builtin_tag_or_type_taken_again_names_the_builtin_plugin(plugin_host):
    import numpy as np

    mine = Codec(type_name="complex", python_type=Fraction, encode=str, decode=Fraction)
    plugin_host.register(CodecPlugin(mine), name="qrtt-tag-clash")
    # a real type collides with the built-in codec that names it lazily
    arrays = Codec(type_name="my-ndarray", python_type=np.ndarray, encode=list, decode=np.array)
    plugin_host.register(CodecPlugin(arrays), name="qrtt-type-clash")
    assert "which plugin 'qrt.codecs' already registered" in _duplicate_messages(plugin_host, "qrtt-tag-clash")[0]
    assert "which plugin 'qrt.codecs' already registered" in _duplicate_messages(plugin_host, "qrtt-type-clash")[0]
    assert "my-ndarray" not in plugin_host.table("codecs")
    assert json.loads(dumps(np.arange(2)))["__type__"] == "ndarray"
    assert dumps(1j) == '{"__type__": "complex", "__value__": [0.0, 1.0]}'


def test_override_replaces_a_builtin_codec(plugin_host):
    polar = Codec(type_name="complex", python_type=complex,
                  encode=lambda c: {"re": c.real, "im": c.imag}, decode=lambda v: complex(v["re"], v["im"]))
    plugin_host.register(CodecPlugin(polar, override=True), name="qrtt-override")
    assert not _duplicate_messages(plugin_host, "qrtt-override")
    assert json.loads(dumps(2j))["__value__"] == {"re": 0.0, "im": 2.0}
    assert loads(dumps(2j)) == 2j


def test_builtin_codecs_name_their_types_as_the_types_name_themselves():
    import numpy as np  # noqa: F401  (lazy types resolve once their package is loaded)
    import qiskit  # noqa: F401
    import qiskit.primitives  # noqa: F401
    import qiskit_aer  # noqa: F401
    import scipy.sparse  # noqa: F401

    for codec in BUILTIN_CODECS:
        types = codec.python_type if isinstance(codec.python_type, tuple) else (codec.python_type,)
        for lazy in types:
            if not isinstance(lazy, LazyType):
                continue
            real = lazy.resolve()
            assert isinstance(real, type), lazy
            # Types defined in private (often compiled) modules are named by their public path.
            if "._" not in real.__module__:
                assert (real.__module__, real.__qualname__) == (lazy.__module__, lazy.__qualname__)


def test_the_default_result_decoder_is_a_builtin_plugin(plugin_host):
    registration = plugin_host.table("result_decoders")["default"]
    assert registration.value is ResultDecoder and registration.plugin == "qrt.result_decoders"


def test_encoding_common_values_imports_neither_numpy_nor_qiskit():
    code = (
        "import sys, json, datetime;"
        "from qrt_core.plugins import PluginHost, reset_plugin_host;"
        "reset_plugin_host(PluginHost(entry_points=False));"
        "from qrt_core import RuntimeEncoder, RuntimeDecoder, UserMessenger, ResultDecoder;"
        "value = {'when': datetime.datetime(2020, 1, 1), 'z': 1j, 's': {1}, 'counts': {'00': 3}};"
        "assert json.loads(json.dumps(value, cls=RuntimeEncoder), cls=RuntimeDecoder) == value;"
        "print(sorted(m for m in ('numpy', 'qiskit', 'scipy', 'qiskit_aer') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_wire_protocol_tags_cannot_be_taken_by_a_codec(plugin_host):
    hijack = Codec(type_name="to_json", python_type=Fraction, encode=str, decode=lambda v: "hijacked")
    plugin_host.register(CodecPlugin(hijack), name="qrtt-reserved")
    assert loads('{"__type__": "to_json", "__value__": "{}"}') == "{}"
    with pytest.raises(TypeError):
        dumps(Fraction(1, 2))
