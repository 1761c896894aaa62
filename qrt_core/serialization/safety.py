"""What the decoder may build from a ``settings`` payload: only the quantum_info classes named in
an explicit allow-list, looked up in ``qiskit.quantum_info`` itself — never a module or class the
payload names."""

from __future__ import annotations

from typing import Any

from ..exceptions import DecodeError

__all__ = ["SETTINGS_ALLOW_LIST", "decode_settings", "restore_int_keys"]

#: Classes whose ``cls(**settings)`` rebuilds the object, all from ``qiskit.quantum_info``.
SETTINGS_ALLOW_LIST: frozenset[str] = frozenset(
    {
        "Pauli",
        "PauliList",
        "SparsePauliOp",
        "Operator",
        "Statevector",
        "DensityMatrix",
        "Choi",
        "Chi",
        "Kraus",
        "PTM",
        "Stinespring",
        "SuperOp",
    }
)

_MODULE_PREFIX = "qiskit.quantum_info."


def restore_int_keys(value: Any) -> Any:
    """Undo the encoder's ``__int_keys__`` flag: in each flagged dict, keys written from ints
    become ints again and the flag goes away (dict values are visited, as IBM's decoder does)."""
    if not isinstance(value, dict):
        return value
    flagged = value.get("__int_keys__") is True
    out: dict[Any, Any] = {}
    for key, item in value.items():
        if flagged and key == "__int_keys__":
            continue
        if flagged and isinstance(key, str):
            try:
                number = int(key)
            except ValueError:
                number = None
            if number is not None and str(number) == key:
                key = number
        out[key] = restore_int_keys(item)
    return out


def decode_settings(obj: dict[str, Any]) -> Any:
    """Rebuild an allow-listed quantum_info object from its ``settings`` payload, or refuse."""
    module, name = obj.get("__module__"), obj.get("__class__")
    if not isinstance(module, str) or not isinstance(name, str):
        raise DecodeError("'settings' payload needs string '__module__' and '__class__' fields.")
    if not module.startswith(_MODULE_PREFIX) or name not in SETTINGS_ALLOW_LIST:
        allowed = ", ".join(sorted(SETTINGS_ALLOW_LIST))
        raise DecodeError(
            f"Refused to decode 'settings' for {module}.{name}: building classes named by a "
            f"payload is allowed only for qiskit.quantum_info's {allowed}. Register a "
            "qrt_core.Codec for other types."
        )
    settings = restore_int_keys(obj.get("__value__"))
    if not isinstance(settings, dict):
        raise DecodeError(f"'settings' value for {name} must be an object, got {type(settings).__name__}.")
    import qiskit.quantum_info as quantum_info

    cls = getattr(quantum_info, name)
    try:
        return cls(**settings)
    except Exception as exc:
        raise DecodeError(f"Cannot rebuild {name} from 'settings': {type(exc).__name__}: {exc}") from exc
