"""Jobs: ``RuntimeJob``, ``RuntimeOptions``, the ``JobManager`` behind ``RuntimeService`` (input
checks, event recording, cancel requests, recovery) and the SQLite job store."""
