"""The local control channel between the running monitor and the `flooding` commands.

Owner-only and local, never a network socket. POSIX: a unix socket (`places`: where, and
who may hold it). Windows (no unix sockets for asyncio there): request and reply files in
`run/` of the data folder, polled twice a second; whether a monitor runs is told by the
instance lock (`lock`). Tests run that transport on Linux too (`transport="files"`).
The typed requests and replies are in `protocol`; `server` answers, `client` asks.
"""

from flooding.io.control.client import ControlError, send_command
from flooding.io.control.lock import (
    AlreadyRunningError,
    InstanceLock,
    lock_is_held,
    monitor_holds_lock,
    read_pid,
)
from flooding.io.control.places import UnsafeFolderError, run_dir, socket_path
from flooding.io.control.protocol import (
    NOT_CONNECTED_YET,
    ControlRequestError,
    ErrorReply,
    Handler,
    MonitorStatus,
    OkReply,
    OkRequest,
    PauseReply,
    PauseRequest,
    PauseStatus,
    PersonStatus,
    Reply,
    Request,
    ResumeReply,
    ResumeRequest,
    StatusReply,
    StatusRequest,
    StrapStatus,
    WorkoutReply,
    WorkoutRequest,
    error_reply,
    parse_request,
)
from flooding.io.control.server import ControlServer

__all__ = [
    "NOT_CONNECTED_YET",
    "AlreadyRunningError",
    "ControlError",
    "ControlRequestError",
    "ControlServer",
    "ErrorReply",
    "Handler",
    "InstanceLock",
    "MonitorStatus",
    "OkReply",
    "OkRequest",
    "PauseReply",
    "PauseRequest",
    "PauseStatus",
    "PersonStatus",
    "Reply",
    "Request",
    "ResumeReply",
    "ResumeRequest",
    "StatusReply",
    "StatusRequest",
    "StrapStatus",
    "UnsafeFolderError",
    "WorkoutReply",
    "WorkoutRequest",
    "error_reply",
    "lock_is_held",
    "monitor_holds_lock",
    "parse_request",
    "read_pid",
    "run_dir",
    "send_command",
    "socket_path",
]
