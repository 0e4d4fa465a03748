"""Step Functions: executions on the virtual clock, deterministic, with AWS's names and errors.

moto's ASL interpreter runs every execution, Parallel branch, Map iteration and Task attempt in a
thread; it really sleeps through Wait states and Retry intervals, reads the real time for
timestamps, and polls `.sync` children every half second. These patches hand the interpreter a
*coordinator* (the lab's `ExecutionThreads` registers itself with `set_coordinator`) in place of
`threading` and `time`, so each "thread" is a greenlet, waits are jobs on the virtual clock, and
they run one at a time in a fixed order; and they report each state transition as a hop. JSONPath
is evaluated as AWS does (asl_paths), definitions AWS refuses fail at CreateStateMachine
(asl_validation), and bad StartExecution/SendTaskSuccess input is refused (stepfunctions_input).

AWS rules (aws-semantics.md 6): Wait and Retry intervals (`IntervalSeconds`, `BackoffRate`,
`MaxDelaySeconds`, `JitterStrategy`) pass in time, each retry a state transition [S4][S5];
`.sync` and `.waitForTaskToken` resume the task when the child ends or the token is returned [S7];
a Lambda error without an error type (timeouts, out of memory) is `Lambda.Unknown` [S6];
StartExecution without a name generates a UUID (StartExecution API reference).

Not covered: moto 5.2.5 has no StartSyncExecution (it answers 404 "Not yet implemented"), so an
EXPRESS state machine runs through StartExecution like a STANDARD one (no 5-minute limit, no
at-least-once duplicates); no JSONata engine, so a definition that uses JSONata fails at
CreateStateMachine with InvalidDefinition; and its intrinsic-function grammar has no `null`
literal, so `States.Array('a', null)` fails the state with States.Runtime where AWS gives ["a", null].
"""
from __future__ import annotations

import contextlib
import datetime as _datetime
import functools
import importlib
import io
import itertools
import json
import threading as _threading
import time as _time
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol

import jsonpath_ng
from moto.moto_api._internal import mock_random

from . import asl_paths, asl_validation, core, stepfunctions_input
from .patching import Patch

_PARSER = "moto.stepfunctions.parser"
_ASL = f"{_PARSER}.asl.component"
_ENV = "moto.stepfunctions.parser.asl.eval.environment.Environment"
_FAILURE_EVENT = "moto.stepfunctions.parser.asl.component.common.error_name.failure_event.FailureEvent"


class Coordinator(Protocol):
    """What the interpreter's threads use instead of `threading` and `time` (see runtime.executions)."""

    def Thread(self, group: None = None, target: Callable[..., Any] | None = None,  # noqa: N802
               name: str | None = None, args: tuple = (), kwargs: dict | None = None, *,
               daemon: bool | None = None) -> Any: ...

    def Event(self) -> Any: ...  # noqa: N802

    def Condition(self, lock: Any = None) -> Any: ...  # noqa: N802

    def sleep(self, seconds: float) -> None: ...

    def time(self) -> float: ...

    def execution_ended(self) -> None: ...

    def await_execution_end(self, seconds: float) -> None: ...


_coordinator: Coordinator | None = None


def set_coordinator(coordinator: Coordinator | None) -> None:
    """Register the lab's execution threads (None: moto's own threads and real time)."""
    global _coordinator
    _coordinator = coordinator


# -- what the interpreter sees as `threading`, `time`, `datetime` and `random` ---------------------
def _thread(*args: Any, **kwargs: Any) -> Any:
    return (_coordinator or _threading).Thread(*args, **kwargs)


def _event() -> Any:
    return (_coordinator or _threading).Event()


def _condition(lock: Any = None) -> Any:
    return (_coordinator or _threading).Condition(lock)


def _sleep(seconds: float) -> None:
    (_coordinator or _time).sleep(seconds)


def _now_seconds() -> float:
    return (_coordinator or _time).time()


def _sync_poll_pause(seconds: float) -> None:
    """A `.sync` task's pause between polls: until an execution ends (AWS resumes the parent at
    the child's end, not on a half-second poll), polling at most once a virtual minute."""
    if _coordinator is None:
        _time.sleep(seconds)
    else:
        _coordinator.await_execution_end(60)


def _module_copy(module: types.ModuleType, **overrides: Any) -> types.ModuleType:
    copy = types.ModuleType(module.__name__, module.__doc__)
    copy.__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    copy.__dict__.update(overrides)
    return copy


class _VirtualDatetime(_datetime.datetime):
    """`datetime.datetime` whose `now()` reads the lab's clock (via moto's patched `utcnow`)."""

    @classmethod
    def now(cls, tz: _datetime.tzinfo | None = None) -> _datetime.datetime:  # type: ignore[override]
        from moto.core.utils import utcnow

        current = utcnow().replace(tzinfo=_datetime.timezone.utc)
        return current.astimezone(tz) if tz else current.replace(tzinfo=None)


_THREADING = _module_copy(_threading, Thread=_thread, Event=_event, Condition=_condition)
_TIME = _module_copy(_time, sleep=_sleep, time=_now_seconds)
_SYNC_POLL_TIME = _module_copy(_time, sleep=_sync_poll_pause, time=_now_seconds)
_DATETIME = _module_copy(_datetime, datetime=_VirtualDatetime)

_saved_globals: dict[tuple[str, str], Any] = {}


@dataclass(frozen=True)
class GlobalsPatch(Patch):
    """Point names a moto module reads (`threading`, `time`, ...) at the lab's versions.

    `target` names a function of that module (one no other patch wraps); its pinned signature and
    the presence of each name confirm the module is the one this lab was written against.
    """

    make: Callable[[Any], Any] = field(default=lambda original: original)
    names: Mapping[str, Any] = field(default_factory=dict)

    def _module(self) -> types.ModuleType:
        return importlib.import_module(self.target.partition(":")[0])

    def check(self) -> str | None:
        missing = [name for name in self.names if not hasattr(self._module(), name)]
        if missing:
            return f"{self._module().__name__} no longer has {', '.join(missing)}"
        return super().check()

    def apply(self) -> None:
        module = self._module()
        for name, value in self.names.items():
            _saved_globals.setdefault((module.__name__, name), getattr(module, name))
            setattr(module, name, value)

    def undo(self) -> None:
        module = self._module()
        for name in self.names:
            setattr(module, name, _saved_globals.pop((module.__name__, name), getattr(module, name)))


def _globals(target: str, signature: str, rule: str, **names: Any) -> GlobalsPatch:
    return GlobalsPatch(target=target, signature=signature, rule=rule, names=names)


_ON_CLOCK = "Waits and timeouts pass on the virtual clock; threads take turns (aws-semantics.md 6 [S4][S5][S7])"
_CLOCK_TIME = "Execution, event and state timestamps come from the virtual clock (design.md, The virtual clock)"
_SEEDED = "Ids, tokens and jitter come from moto's seeded RNG, so runs repeat (design.md, Principles 4)"

THREAD_PATCHES = [
    _globals(f"{_PARSER}.backend.execution_worker:ExecutionWorker.start", "(self)", _ON_CLOCK,
             Thread=_thread),
    _globals(f"{_ASL}.program.program:Program.eval", f"(self, env: {_ENV}) -> None", _ON_CLOCK,
             threading=_THREADING),
    _globals(f"{_ASL}.state.exec.execute_state:ExecutionState._evaluate_with_timeout",
             f"(self, env: {_ENV}) -> None", _ON_CLOCK, threading=_THREADING, Thread=_thread),
    _globals(f"{_ASL}.state.exec.state_parallel.branch_worker:BranchWorker.start", "(self)", _ON_CLOCK,
             threading=_THREADING),
    _globals(f"{_ASL}.state.exec.state_parallel.branches_decl:BranchesDecl._eval_body",
             f"(self, env: {_ENV}) -> None", _ON_CLOCK, threading=_THREADING, datetime=_DATETIME),
    _globals(f"{_ASL}.state.exec.state_map.iteration.inline_iteration_component:"
             "InlineIterationComponent._launch_worker",
             "(self, env: 'Environment', eval_input: 'InlineIterationComponentEvalInput', "
             "job_pool: 'JobPool') -> 'IterationWorker'", _ON_CLOCK, threading=_THREADING),
    _globals(f"{_ASL}.state.exec.state_map.iteration.job:JobPool.await_jobs", "(self) -> None", _ON_CLOCK,
             threading=_THREADING),
    _globals(f"{_PARSER}.asl.eval.count_down_latch:CountDownLatch.wait", "(self) -> None", _ON_CLOCK,
             threading=_THREADING),
    _globals(f"{_PARSER}.asl.eval.environment:Environment.set_stop",
             "(self, stop_date: 'Timestamp', cause: 'str | None', error: 'str | None') -> 'None'",
             _ON_CLOCK, threading=_THREADING),
    _globals(f"{_PARSER}.asl.eval.callback.callback:CallbackEndpoint.wait",
             "(self, timeout: float | None = None) -> "
             "moto.stepfunctions.parser.asl.eval.callback.callback.CallbackOutcome | None",
             _ON_CLOCK, Event=_event),
    _globals(f"{_ASL}.state.exec.state_task.service.state_task_service_callback:"
             "StateTaskServiceCallback._eval_sync",
             f"(self, env: {_ENV}, sync_resolver: collections.abc.Callable[[], typing.Any] | None, "
             "timeout_seconds: int | None, callback_endpoint: "
             "moto.stepfunctions.parser.asl.eval.callback.callback.CallbackEndpoint | None, "
             "heartbeat_endpoint: moto.stepfunctions.parser.asl.eval.callback.callback.HeartbeatEndpoint "
             "| None) -> moto.stepfunctions.parser.asl.eval.callback.callback.CallbackOutcome | typing.Any",
             ".sync resumes the parent when the child ends (aws-semantics.md 6 [S7])",
             threading=_THREADING, time=_SYNC_POLL_TIME),
    _globals(f"{_ASL}.state.wait.wait_function.wait_function:WaitFunction._wait_interval",
             f"(self, env: {_ENV}, wait_seconds: int) -> None", _ON_CLOCK, time=_TIME),
    _globals(f"{_ASL}.state.wait.wait_function.timestamp:Timestamp._get_wait_seconds",
             f"(self, env: {_ENV}) -> int", _ON_CLOCK, datetime=_DATETIME),
    _globals(f"{_ASL}.common.retry.retrier_decl:RetrierDecl._eval_body", "(self, env: 'Environment') -> 'None'",
             _ON_CLOCK, time=_TIME),
]
DETERMINISM_PATCHES = [
    _globals(f"{_ASL}.common.retry.jitter_strategy_decl:JitterStrategyDecl._eval_body",
             f"(self, env: {_ENV}) -> None", _SEEDED, random=mock_random),
    _globals(f"{_ASL}.intrinsic.function.statesfunction.math_operations.math_random:MathRandom._eval_body",
             f"(self, env: {_ENV}) -> None", _SEEDED, random=mock_random),
    _globals(f"{_PARSER}.utils:long_uid", "() -> str", _SEEDED, uuid4=mock_random.uuid4),
    _globals(f"{_PARSER}.asl.eval.event.event_manager:EventManager._get_current_timestamp",
             "() -> 'datetime.datetime'", _CLOCK_TIME, datetime=_DATETIME),
    _globals(f"{_PARSER}.backend.execution:BaseExecutionWorkerCommunication._reflect_execution_status",
             "(self)", _CLOCK_TIME, datetime=_DATETIME),
    _globals(f"{_ASL}.state.state:CommonStateField.from_state_props",
             "(self, state_props: 'StateProps') -> 'None'", _CLOCK_TIME, datetime=_DATETIME),
    _globals(f"{_ASL}.state.exec.state_map.iteration.itemprocessor.map_run_record:MapRunRecord.set_stop",
             "(self, status: moto.stepfunctions.parser.api.MapRunStatus)", _CLOCK_TIME, datetime=_DATETIME),
]


def _rebound(name: str, signature: str, rule: str, make: Callable[[Any], Any], modules: tuple[str, ...]) -> list[Patch]:
    """Patches replacing `name` in its defining module and in each module that took it with
    `from ... import` (each applied when moto first imports that module)."""
    return [Patch(target=f"{module}:{name}", signature=signature, rule=rule, make=make) for module in modules]


def _extract_json(path: str, data: Any) -> Any:
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    try:
        return asl_paths.extract(path, data)
    except asl_paths.PathNotFound:
        raise NoSuchJsonPathError(json_path=path, data=data) from None


_CHOICE_OPERATORS = f"{_ASL}.state.choice.comparison.operator.implementations"
EXTRACT_JSON = _rebound(
    "extract_json", "(path: str, data: Any) -> Any",
    "A definite JSONPath gives one value, an indefinite one a list (asl_paths; Step Functions developer "
    "guide, Using JSONPath paths)",
    lambda original: _extract_json,
    (f"{_PARSER}.asl.utils.json_path", f"{_ASL}.common.string.string_expression", f"{_ASL}.intrinsic.argument.argument",
     f"{_CHOICE_OPERATORS}.timestamp_operators", f"{_CHOICE_OPERATORS}.boolean_equals",
     f"{_CHOICE_OPERATORS}.numeric", f"{_CHOICE_OPERATORS}.string_operators", f"{_PARSER}.asl.eval.states"))


@functools.lru_cache(maxsize=None)
def _task_client(original: Callable[..., Any], region: str, service: str, intercepting: bool) -> Any:
    return original(region=region, service=service)


def _make_boto_client_for(original: Callable[..., Any]) -> Callable[..., Any]:
    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        from moto.core.models import botocore_stubber

        return _task_client(original, region, service, botocore_stubber.enabled)

    return boto_client_for


_TASKS = f"{_ASL}.state.exec.state_task"
_MAP = f"{_ASL}.state.exec.state_map"
BOTO_CLIENT_FOR = _rebound(
    "boto_client_for", "(region: str, service: str, state_credentials: Any = None) -> botocore.client.BaseClient",
    "A task reuses one SDK client per service and region, as a long-lived service would (building one per "
    "Lambda task cost about 6 ms: issue 15)",
    _make_boto_client_for,
    (f"{_PARSER}.asl.utils.boto_client", f"{_MAP}.result_writer.resource_eval.resource_eval_s3",
     f"{_MAP}.item_reader.eval.resource_eval_s3", f"{_TASKS}.lambda_eval_utils",
     *(f"{_TASKS}.service.state_task_service_{name}" for name in (
         "unsupported", "glue", "events", "ecs", "sqs", "sfn", "dynamodb", "batch", "sns", "aws_sdk"))))


@dataclass(frozen=True)
class QuietRecognizers(GlobalsPatch):
    """Make the ANTLR lexers and parsers a moto module builds drop their console error listener.

    Syntax errors still reach moto (its own listener, or the parse tree); they are just not printed
    on stderr, where a notebook would show them as noise.
    """

    recognizers: tuple[str, ...] = ()

    def check(self) -> str | None:
        missing = [name for name in self.recognizers if not hasattr(self._module(), name)]
        return f"{self._module().__name__} no longer has {', '.join(missing)}" if missing else super().check()

    def apply(self) -> None:
        module = self._module()
        for name in self.recognizers:
            original = _saved_globals.setdefault((module.__name__, name), getattr(module, name))
            setattr(module, name, _quiet(original))

    def undo(self) -> None:
        module = self._module()
        for name in self.recognizers:
            setattr(module, name, _saved_globals.pop((module.__name__, name), getattr(module, name)))


def _quiet(recognizer: type) -> Callable[..., Any]:
    def make(*args: Any) -> Any:
        instance = recognizer(*args)
        instance.removeErrorListeners()
        return instance

    return make


_QUIET = "Syntax errors show in InvalidDefinition or the execution's error, never on stderr"
QUIET_PATCHES = [
    QuietRecognizers(target=f"{_PARSER}.asl.parse.asl_parser:AmazonStateLanguageParser.parse",
                     signature="(definition: str) -> tuple[moto.stepfunctions.parser.asl.component.eval_component."
                     "EvalComponent, antlr4.ParserRuleContext.ParserRuleContext]",
                     rule=_QUIET, recognizers=("ASLLexer",)),
    QuietRecognizers(target=f"{_PARSER}.asl.parse.intrinsic.intrinsic_parser:IntrinsicParser.parse",
                     signature="(src: str) -> tuple[moto.stepfunctions.parser.asl.component.intrinsic.function."
                     "function.Function, antlr4.ParserRuleContext.ParserRuleContext]",
                     rule=_QUIET, recognizers=("ASLIntrinsicLexer", "ASLIntrinsicParser")),
]


def _make_evaluation_entrypoint(original: Callable[..., Any]) -> Callable[..., Any]:
    """Parse each definition once and let every execution of it evaluate the same program.

    moto's evaluation components keep all per-execution state in the execution's environment (an
    inline Map already evaluates one iterator program in many iterations at once), so one program
    serves every execution; parsing and building it took about a third of a start's CPU.
    """
    programs: dict[str, Any] = {}

    def _get_evaluation_entrypoint(self: Any) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        program = programs.get(definition)
        if program is None:
            if len(programs) >= 256:
                programs.clear()
            program = programs[definition] = original(self)
        return program

    return _get_evaluation_entrypoint


_heap_keys = itertools.count()


def _heap_key() -> str:
    """A component's key in an execution's heap: unique in the process, and drawing nothing from the
    seeded RNG, so a program shared by executions leaves their ids and tokens as they were."""
    return f"heap-{next(_heap_keys)}"


PARSE_ONCE = [
    Patch(target=f"{_PARSER}.backend.execution_worker:ExecutionWorker._get_evaluation_entrypoint",
          signature="(self) -> moto.stepfunctions.parser.asl.component.eval_component.EvalComponent",
          rule="A definition is parsed once, not once per execution (issue 15: parsing dominated a start)",
          make=_make_evaluation_entrypoint),
    _globals(f"{_ASL}.common.path.result_path:ResultPath._eval_body",
             "(self, env: moto.stepfunctions.parser.asl.eval.environment.Environment) -> None",
             "A ResultPath is parsed once, not at every state it ends (issue 15)",
             parse=functools.lru_cache(maxsize=1024)(jsonpath_ng.parse)),
    _globals(f"{_ASL}.eval_component:EvalComponent.eval",
             "(self, env: moto.stepfunctions.parser.asl.eval.environment.Environment) -> None",
             _SEEDED, long_uid=_heap_key),
]


# -- hops: ("states", "transition" | "execution", execution ARN, ...) -----------------------------
def _execution_arn(env: Any) -> str:
    return env.states.context_object.context_object_data["Execution"]["Id"]


def _transition(state: Any, env: Any, phase: str, **detail: Any) -> None:
    map_item = env.states.context_object.context_object_data.get("Map", {}).get("Item", {})
    if "Index" in map_item:
        detail["iteration"] = map_item["Index"]
    state_type = getattr(getattr(state, "state_type", None), "name", type(state).__name__)
    core.notify("states", "transition", _execution_arn(env), state=state.name, state_type=state_type,
                phase=phase, **detail)


def _error_of(failure_event: Any) -> str:
    return getattr(getattr(failure_event, "error_name", None), "error_name", None) or "States.Runtime"


def _report_failure(state: Any, env: Any, failure_event: Any) -> None:
    """One `failed` hop per failed attempt, however many handlers look at the failure."""
    if not getattr(failure_event, "_lab_reported", False):
        failure_event._lab_reported = True
        _transition(state, env, "failed", error=_error_of(failure_event))


def _make_entered(original: Callable[..., Any]) -> Callable[..., Any]:
    def _get_state_entered_event_details(self: Any, env: Any) -> Any:
        _transition(self, env, "entered")
        return original(self, env)

    return _get_state_entered_event_details


def _make_exited(original: Callable[..., Any]) -> Callable[..., Any]:
    def _get_state_exited_event_details(self: Any, env: Any) -> Any:
        _transition(self, env, "exited")
        return original(self, env)

    return _get_state_exited_event_details


def _make_state_body(original: Callable[..., Any]) -> Callable[..., Any]:
    def _eval_body(self: Any, env: Any) -> None:
        try:
            original(self, env)
        except Exception as exc:
            failure_event = getattr(exc, "failure_event", None)
            if failure_event is not None:
                _report_failure(self, env, failure_event)
            else:
                _transition(self, env, "failed", error="States.Runtime")
            raise

    return _eval_body


def _make_handle_retry(original: Callable[..., Any]) -> Callable[..., Any]:
    def _handle_retry(self: Any, env: Any, failure_event: Any) -> Any:
        _report_failure(self, env, failure_event)
        outcome = original(self, env, failure_event)  # a matching retrier parks for its interval
        if outcome.name == "CanRetry":
            retry_count = env.states.context_object.context_object_data["State"]["RetryCount"]
            _transition(self, env, "retry", error=_error_of(failure_event), attempt=retry_count + 1)
        return outcome

    return _handle_retry


def _make_handle_catch(original: Callable[..., Any]) -> Callable[..., Any]:
    def _handle_catch(self: Any, env: Any, failure_event: Any) -> None:
        _report_failure(self, env, failure_event)
        original(self, env, failure_event)
        if env.stack and getattr(env.stack[-1], "name", None) == "Caught":
            _transition(self, env, "caught", error=_error_of(failure_event), next=env.next_state_name)

    return _handle_catch


def _make_execution_logic(original: Callable[..., Any]) -> Callable[..., Any]:
    def _execution_logic(self: Any) -> None:
        core.notify("states", "execution", self._evaluation_details.execution_details.arn, status="RUNNING")
        original(self)

    return _execution_logic


def _make_terminated(original: Callable[..., Any]) -> Callable[..., Any]:
    def terminated(self: Any) -> None:
        original(self)
        execution = self.execution
        core.notify("states", "execution", execution.exec_arn, status=execution.exec_status.value,
                    error=execution.error, cause=execution.cause)
        if _coordinator is not None:
            _coordinator.execution_ended()
        _forget_finished_threads()

    return terminated


_live_threads_after_pruning = 64


def _forget_finished_threads() -> None:
    """moto keeps every interpreter thread it starts in a module list, forever: keep the live ones
    (pruned whenever the list has doubled, so the cost per execution stays constant)."""
    global _live_threads_after_pruning
    from moto.stepfunctions.parser.utils import TMP_THREADS

    if len(TMP_THREADS) >= 2 * _live_threads_after_pruning:
        TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]
        _live_threads_after_pruning = max(64, len(TMP_THREADS))


STATE_ENTERED = Patch(
    target=f"{_ASL}.state.state:CommonStateField._get_state_entered_event_details",
    signature="(self, env: 'Environment') -> 'StateEnteredEventDetails'",
    rule="Every state entered is a transition hop (recorder.py, Step Functions hops)",
    make=_make_entered,
)
STATE_EXITED = Patch(
    target=f"{_ASL}.state.state:CommonStateField._get_state_exited_event_details",
    signature="(self, env: 'Environment') -> 'StateExitedEventDetails'",
    rule="Every state exited is a transition hop (recorder.py, Step Functions hops)",
    make=_make_exited,
)
STATE_BODY = Patch(
    target=f"{_ASL}.state.state:CommonStateField._eval_body",
    signature="(self, env: 'Environment') -> 'None'",
    rule="A state that fails is a `failed` hop with its error name (aws-semantics.md 6 [S4])",
    make=_make_state_body,
)
HANDLE_RETRY = Patch(
    target=f"{_ASL}.state.exec.execute_state:ExecutionState._handle_retry",
    signature=f"(self, env: {_ENV}, failure_event: {_FAILURE_EVENT}) -> "
    "moto.stepfunctions.parser.asl.component.common.retry.retry_outcome.RetryOutcome",
    rule="Each retry is a state transition (aws-semantics.md 6 [S4][S5])",
    make=_make_handle_retry,
)
HANDLE_CATCH = Patch(
    target=f"{_ASL}.state.exec.execute_state:ExecutionState._handle_catch",
    signature=f"(self, env: {_ENV}, failure_event: {_FAILURE_EVENT}) -> None",
    rule="A caught error routes to the catcher's Next, after the retriers (aws-semantics.md 6 [S4])",
    make=_make_handle_catch,
)
EXECUTION_STARTED = Patch(
    target=f"{_PARSER}.backend.execution_worker:ExecutionWorker._execution_logic",
    signature="(self)",
    rule="An execution starts RUNNING (recorder.py, Step Functions hops)",
    make=_make_execution_logic,
)
EXECUTION_TERMINATED = Patch(
    target=f"{_PARSER}.backend.execution:BaseExecutionWorkerCommunication.terminated",
    signature="(self) -> 'None'",
    rule="An execution's final status is a hop; .sync parents resume (aws-semantics.md 6 [S7]); its "
    "finished threads are let go",
    make=_make_terminated,
)


# -- errors AWS names differently -----------------------------------------------------------
#: What Step Functions says when Lambda returns an error without a type (timeouts, out of memory).
LAMBDA_UNKNOWN_CAUSE = ("The cause could not be determined because Lambda did not return an error type. "
                        "Returned payload: {payload}")


def _make_lambda_from_error(original: Callable[..., Any]) -> Callable[..., Any]:
    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        failure_event = original(self, env, ex)
        payload = getattr(ex, "payload", None)
        if isinstance(payload, str) and "errorType" not in _json_object(payload):
            from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
                CustomErrorName,
            )

            failure_event.error_name = CustomErrorName("Lambda.Unknown")
            for details in failure_event.event_details.values():
                details["error"] = "Lambda.Unknown"
                details["cause"] = LAMBDA_UNKNOWN_CAUSE.format(payload=payload)
        return failure_event

    return _from_error


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_LAMBDA_FROM_ERROR_SIGNATURE = f"(self, env: {_ENV}, ex: Exception) -> {_FAILURE_EVENT}"
LAMBDA_SERVICE_ERROR = Patch(
    target=f"{_ASL}.state.exec.state_task.service.state_task_service_lambda:StateTaskServiceLambda._from_error",
    signature=_LAMBDA_FROM_ERROR_SIGNATURE,
    rule="A Lambda error without a type (timeout, out of memory) is Lambda.Unknown (aws-semantics.md 6 [S6])",
    make=_make_lambda_from_error,
)
LAMBDA_TASK_ERROR = Patch(
    target=f"{_ASL}.state.exec.state_task.state_task_lambda:StateTaskLambda._from_error",
    signature=_LAMBDA_FROM_ERROR_SIGNATURE,
    rule="A Lambda error without a type (timeout, out of memory) is Lambda.Unknown (aws-semantics.md 6 [S6])",
    make=_make_lambda_from_error,
)


# -- service integrations: AWS API field names in, PascalCase fields out ------------------------
@functools.lru_cache(maxsize=None)
def _operation_model(service: str, action: str) -> Any:
    """botocore's model of `service`'s operation `action` (snake_case), or None."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    names = {xform_name(name): name for name in model.operation_names}
    return model.operation_model(names[action]) if action in names else None


def _make_normalise_parameters(original: Callable[..., Any]) -> Callable[..., Any]:
    def _normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                              service_action_name: str | None = None) -> None:
        operation = _operation_model(self._get_boto_service_name(boto_service_name),
                                     self._get_boto_service_action(service_action_name))
        if operation is not None and operation.input_shape is not None:
            self._to_boto_request(parameters, operation.input_shape)

    return _normalise_parameters


def _make_normalise_response(original: Callable[..., Any]) -> Callable[..., Any]:
    def _normalise_response(self: Any, response: Any, boto_service_name: str | None = None,
                            service_action_name: str | None = None) -> None:
        operation = _operation_model(self._get_boto_service_name(boto_service_name),
                                     self._get_boto_service_action(service_action_name))
        if operation is not None and operation.output_shape is not None:
            self._from_boto_response(response, operation.output_shape)
        _timestamps_to_epoch_millis(response)

    return _normalise_response


def _timestamps_to_epoch_millis(value: Any) -> None:
    """Timestamps in a task's result are epoch milliseconds, as in AWS's `.sync` outputs."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in list(items):
        if isinstance(item, _datetime.datetime):
            value[key] = int(item.timestamp() * 1000)
        else:
            _timestamps_to_epoch_millis(item)


_SERVICE_TASK = f"{_ASL}.state.exec.state_task.service.state_task_service:StateTaskService"
NORMALISE_PARAMETERS = Patch(
    target=f"{_SERVICE_TASK}._normalise_parameters",
    signature="(self, parameters: 'dict', boto_service_name: 'str | None' = None, "
    "service_action_name: 'str | None' = None) -> 'None'",
    rule="A service integration's Parameters name the API's fields in PascalCase, e.g. StateMachineArn "
    "(aws-semantics.md 6 [S7])",
    make=_make_normalise_parameters,
)
NORMALISE_RESPONSE = Patch(
    target=f"{_SERVICE_TASK}._normalise_response",
    signature="(self, response: 'Any', boto_service_name: 'str | None' = None, "
    "service_action_name: 'str | None' = None) -> 'None'",
    rule="A service integration's result has the API's fields in PascalCase, e.g. ExecutionArn, and "
    "timestamps in epoch milliseconds (aws-semantics.md 6 [S7])",
    make=_make_normalise_response,
)


# -- definitions and executions ---------------------------------------------------------------
#: Why a JSONata state machine is refused (moto 5.2.5 has no JSONata engine).
JSONATA_UNSUPPORTED = ("The lab does not support JSONata states: moto's interpreter has no JSONata engine. "
                       "Use \"QueryLanguage\": \"JSONPath\" (the default) with Parameters, ResultSelector, "
                       "ResultPath and OutputPath instead.")


def _uses_jsonata(node: Any) -> bool:
    if isinstance(node, dict):
        return node.get("QueryLanguage") == "JSONata" or any(_uses_jsonata(v) for v in node.values())
    if isinstance(node, list):
        return any(_uses_jsonata(v) for v in node)
    return False


def _make_validate_definition(original: Callable[..., Any]) -> Any:
    def _validate_definition(definition: str) -> None:
        from moto.stepfunctions.parser.api import InvalidDefinition

        message = asl_validation.invalid_definition_message(definition)
        if message is None and _uses_jsonata(json.loads(definition)):
            message = JSONATA_UNSUPPORTED
        if message is None:
            try:
                with contextlib.redirect_stderr(io.StringIO()):  # ANTLR prints its syntax errors
                    original(definition=definition)
            except InvalidDefinition as invalid:  # moto's parser found what the lab's checks did not
                message = f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {invalid.message} at /'"
        if message is not None:
            raise InvalidDefinition(message, exception_type="InvalidDefinition")

    return staticmethod(_validate_definition)


def _make_start_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    def start_execution(self: Any, state_machine_arn: str, name: str = None,  # type: ignore[assignment]
                        execution_input: str = None, trace_header: str = None) -> Any:  # type: ignore[assignment]
        if name is not None:
            stepfunctions_input.check_execution_name(name)
        stepfunctions_input.check_execution_input(execution_input)
        return original(self, state_machine_arn, name or str(mock_random.uuid4()),
                        execution_input, trace_header)

    return start_execution


def _make_send_task_success(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_task_success(self: Any, task_token: str, outcome: str) -> Any:
        stepfunctions_input.check_task_output(outcome)
        return original(self, task_token, outcome)

    return send_task_success


def _make_send_task_failure(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_task_failure(self: Any) -> Any:
        from moto.core.responses import EmptyResult

        self.stepfunction_backend.send_task_failure(self._get_param("taskToken"), error=self._get_param("error"),
                                                    cause=self._get_param("cause"))
        return EmptyResult()

    return send_task_failure


def _make_describe_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    def describe_execution(self: Any) -> Any:
        result = original(self)
        response = result.result
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        if "output" in response and isinstance(execution.output, str):
            response["output"] = json.dumps(execution.output)  # moto passed a string result through raw
        return result

    return describe_execution


VALIDATE_DEFINITION = Patch(
    target=f"{_PARSER}.models:StepFunctionsParserBackend._validate_definition",
    signature="(definition: str)",
    rule="A definition AWS refuses fails at CreateStateMachine with InvalidDefinition and AWS's diagnostics "
    "(asl_validation); JSONata ones too (lab limitation)",
    make=_make_validate_definition,
)
START_EXECUTION = Patch(
    target=f"{_PARSER}.models:StepFunctionsParserBackend.start_execution",
    signature="(self, state_machine_arn: str, name: str = None, execution_input: str = None, "
    "trace_header: str = None) -> moto.stepfunctions.parser.backend.execution.Execution",
    rule="StartExecution without a name generates a UUID name; a bad name or input is refused in AWS's "
    "words (StartExecution API reference; stepfunctions_input)",
    make=_make_start_execution,
)
SEND_TASK_SUCCESS = Patch(
    target=f"{_PARSER}.models:StepFunctionsParserBackend.send_task_success",
    signature="(self, task_token: str, outcome: str) -> moto.stepfunctions.parser.api.SendTaskSuccessOutput",
    rule="SendTaskSuccess with output that is not JSON is InvalidOutput; the task keeps waiting "
    "(SendTaskSuccess API reference)",
    make=_make_send_task_success,
)
SEND_TASK_FAILURE = Patch(
    target="moto.stepfunctions.responses:StepFunctionResponse.send_task_failure",
    signature="(self) -> moto.core.responses.ActionResult",
    rule="SendTaskFailure fails the task with its error and cause (aws-semantics.md 6 [S7])",
    make=_make_send_task_failure,
)
DESCRIBE_EXECUTION = Patch(
    target="moto.stepfunctions.responses:StepFunctionResponse.describe_execution",
    signature="(self) -> moto.core.responses.ActionResult",
    rule="An execution's output is JSON text, a string result too: \"Hi\" (DescribeExecution API reference)",
    make=_make_describe_execution,
)
START_DATE = _globals(
    f"{_PARSER}.models:StepFunctionsParserBackend._get_executions",
    "(self, execution_status: moto.stepfunctions.parser.api.ExecutionStatus | None = None)",
    _CLOCK_TIME, datetime=_DATETIME)

PATCHES = [*EXTRACT_JSON, *BOTO_CLIENT_FOR, START_EXECUTION, START_DATE, VALIDATE_DEFINITION, SEND_TASK_FAILURE,
           SEND_TASK_SUCCESS, DESCRIBE_EXECUTION, *THREAD_PATCHES, *DETERMINISM_PATCHES, *QUIET_PATCHES, *PARSE_ONCE,
           STATE_ENTERED, STATE_EXITED, STATE_BODY, HANDLE_RETRY, HANDLE_CATCH, EXECUTION_STARTED,
           EXECUTION_TERMINATED, LAMBDA_SERVICE_ERROR, LAMBDA_TASK_ERROR, NORMALISE_PARAMETERS, NORMALISE_RESPONSE]
