from tests.eventlog.conftest import open_log

__all__ = ["open_log"]
