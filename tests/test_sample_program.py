"""The sample program's ``main``, called directly the way the runtime calls it."""

from __future__ import annotations

from qrt_core import RuntimeService
from qrt_core.program import schema_errors


class RecordingMessenger:
    def __init__(self):
        self.published = []

    def publish(self, message, encoder=None, final=False):
        self.published.append((message, final))


def test_main_publishes_one_interim_result_per_iteration():
    from qiskit_aer import AerSimulator

    from sample_program import sample_program

    program = RuntimeService().program("sample-program")
    messenger = RecordingMessenger()
    assert sample_program.main(AerSimulator(), messenger, iterations=3) == "All done!"
    assert [final for _, final in messenger.published] == [False] * 3
    messages = [message for message, _ in messenger.published]
    assert [m["iteration"] for m in messages] == [0, 1, 2]
    for message in messages:
        assert schema_errors(program.interim_results, message) == []
        counts = message["counts"]
        assert sum(counts.values()) == 1024  # Aer's default shots
        assert all(len(key.replace(" ", "")) == 5 for key in counts)
    assert schema_errors(program.return_values, "All done!") == []


def test_iterations_default_to_five():
    from qiskit_aer import AerSimulator

    from sample_program import sample_program

    messenger = RecordingMessenger()
    sample_program.main(AerSimulator(), messenger)
    assert len(messenger.published) == 5
