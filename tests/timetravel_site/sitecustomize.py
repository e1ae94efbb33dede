"""Loaded by every Python process a date-sweep test starts (tests/timetravel.py puts this
folder on PYTHONPATH): travel by the test's offset, so daemons and CLI commands agree
with the test on the date."""

import os

_offset = os.environ.get("SPBE_TEST_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
    time.time()  # time-machine ticks from the first reading: take it now, not at import's end
