"""How a call of an implementation can fail, as exceptions whose messages say what it did.

The property fails with one of these, never with an unrelated error from the
suite's own arithmetic.  :class:`CallAborted` is a ``BaseException``: a hang
or a dead process ends the property at once, because Hypothesis would
otherwise replay (and wait for, or restart a process for) every step of its
shrinking.
"""

from __future__ import annotations


class ImplementationFailed(AssertionError):
    """The implementation did something the contract does not allow."""


class ImplementationRaised(ImplementationFailed):
    """A call raised (any ``BaseException``: ``SystemExit`` and pytest's outcomes included).

    ``cause`` is the failure without its input (``one_step raised ValueError: ...``);
    ``prerequisite`` says that the plain call on that input raised, so that a
    property asking something else of it cannot judge (it is blocked by the
    property that owns the call); ``in_class_call``, that the call that raised
    is the module's own TrainState's, inside the one_step the suite built from it.
    """

    def __init__(
        self,
        message: str,
        cause: str | None = None,
        prerequisite: bool = False,
        in_class_call: bool = False,
        label: str = "",
    ) -> None:
        super().__init__(message)
        self.cause = cause or message
        self.label = label
        self.prerequisite = prerequisite
        self.in_class_call = in_class_call


class UnreadableOutput(ImplementationFailed):
    """The output cannot be read as two numbers ``[step_after, loss_after]``."""


class ImplementationPrinted(ImplementationFailed):
    """A call wrote more than the limit to ``sys.stdout``/``sys.stderr``."""


class GlobalStateChanged(ImplementationFailed):
    """A call changed process-wide state (put back before this is raised)."""


class HostMisbehaved(ImplementationFailed):
    """The process hosting the implementation answered, but not with an answer of the protocol."""


class CallAborted(BaseException):
    """The call could not complete; the property ends here, without shrinking."""


class ImplementationHung(CallAborted):
    """A call did not return within ``--trainstate-call-timeout``; its process was killed."""


class ImplementationCrashed(CallAborted):
    """The process hosting the implementation died during a call."""


class ImplementationUnavailable(CallAborted):
    """The implementation cannot be imported in its process, or offers nothing to test."""
