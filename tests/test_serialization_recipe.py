"""The tutorial's "Data serialization" and "Testing your runtime program" sections, run as written
with this project's names."""

from __future__ import annotations

import json

from qiskit_aer import AerSimulator

from qrt_core import ResultDecoder, RuntimeDecoder, RuntimeEncoder, UserMessenger


class MyCustomClass:
    def __init__(self, foo, bar):
        self._foo = foo
        self._bar = bar

    def to_json(self):
        """Convert this instance to a JSON string."""
        return json.dumps({"foo": self._foo, "bar": self._bar})

    @classmethod
    def from_json(cls, json_str):
        """Return a MyCustomClass instance based on the input JSON string."""
        return cls(**json.loads(json_str))


class MyResultDecoder(ResultDecoder):
    @classmethod
    def decode(cls, data):
        data = super().decode(data)  # Perform any preprocessing.
        return MyCustomClass.from_json(data)


def test_local_test_recipe_runs_the_sample_program(capsys):
    from sample_program import sample_program

    inputs = {"iterations": 3}
    backend = AerSimulator()
    user_messenger = UserMessenger()
    serialized_inputs = json.dumps(inputs, cls=RuntimeEncoder)
    deserialized_inputs = json.loads(serialized_inputs, cls=RuntimeDecoder)

    result = sample_program.main(backend, user_messenger, **deserialized_inputs)

    assert result == "All done!"
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for iteration, line in enumerate(lines):
        message = json.loads(line, cls=RuntimeDecoder)
        assert message["iteration"] == iteration
        assert sum(message["counts"].values()) == 1024


def test_custom_class_as_input_arrives_as_its_json_string():
    program_inputs = {"my_obj": MyCustomClass("my foo", "my bar")}
    kwargs = json.loads(json.dumps(program_inputs, cls=RuntimeEncoder), cls=RuntimeDecoder)

    def main(backend, user_messenger, **kwargs):
        my_obj_str = kwargs.pop("my_obj")
        return MyCustomClass.from_json(my_obj_str)

    my_obj = main(None, UserMessenger(), **kwargs)
    assert (my_obj._foo, my_obj._bar) == ("my foo", "my bar")


def test_custom_class_as_output_with_and_without_a_result_decoder():
    def main(backend, user_messenger, **kwargs):
        return MyCustomClass("this foo", "that bar")

    wire = json.dumps(main(None, UserMessenger()), cls=RuntimeEncoder)
    output_str = ResultDecoder.decode(wire)
    assert isinstance(output_str, str)
    output = MyCustomClass.from_json(output_str)
    assert (output._foo, output._bar) == ("this foo", "that bar")
    decoded = MyResultDecoder.decode(wire)
    assert isinstance(decoded, MyCustomClass) and decoded._bar == "that bar"


def test_publish_prints_the_json_and_subclasses_choose_where_it_goes(capsys):
    UserMessenger().publish({"z": 1j, "n": [1, 2]})
    assert capsys.readouterr().out == '{"z": {"__type__": "complex", "__value__": [0.0, 1.0]}, "n": [1, 2]}\n'

    class Collecting(UserMessenger):
        def __init__(self):
            self.sent = []

        def _deliver(self, text, final):
            self.sent.append((text, final))

    class Upper(json.JSONEncoder):
        def encode(self, o):
            return super().encode(o).upper()

    messenger = Collecting()
    messenger.publish({"step": 1})
    messenger.publish("done", encoder=Upper, final=True)
    assert messenger.sent == [('{"step": 1}', False), ('"DONE"', True)]
    assert capsys.readouterr().out == ""
