"""Starting the lab: cheap to import, quick to start, and moto's patches still checked before use.

design.md ("Layers"): the lab checks that every patched moto function still has the signature it
was written for, failing fast with a clear message. Modules moto has not loaded yet (Step Functions'
interpreter) are checked and patched the moment moto imports them, before anything in them runs.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def _run(script: str) -> dict:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_helpers_loads_neither_moto_nor_pandas_nor_graphviz():
    seen = _run("""
        import json, sys, helpers
        print(json.dumps({name: name in sys.modules for name in ("moto", "pandas", "graphviz", "IPython")}))
    """)
    assert seen == {"moto": False, "pandas": False, "graphviz": False, "IPython": False}


def test_step_functions_interpreter_is_loaded_checked_and_patched_on_first_use():
    seen = _run("""
        import json, sys, boto3, helpers
        lab = helpers.start()
        at_start = {name: name in sys.modules for name in ("moto.stepfunctions.parser.models", "pandas")}
        from helpers.motoext import patching
        waiting = "moto.stepfunctions.parser.models" in patching.pending_modules()
        sfn = boto3.client("stepfunctions")
        arn = sfn.create_state_machine(name="m", roleArn=lab.role_arn, definition=json.dumps(
            {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}))["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        lab.advance(hours=1)  # a patched Wait passes on the virtual clock, not in real time
        print(json.dumps({"at_start": at_start, "waiting": waiting, "left": patching.pending_modules(),
                          "status": sfn.describe_execution(executionArn=execution)["status"]}))
    """)
    assert seen["at_start"] == {"moto.stepfunctions.parser.models": False, "pandas": False}
    assert seen["waiting"] is True
    assert not any(name.startswith("moto.stepfunctions.parser.models") for name in seen["left"])
    assert seen["status"] == "SUCCEEDED"


def test_step_functions_interpreter_loads_without_batch_and_ec2_models_which_come_on_first_use():
    """The interpreter imports moto.batch.utils for one enum; Batch's models (and EC2's, 0.4 s) are
    imported only when moto first asks for Batch's backend, as a Batch call does."""
    seen = _run("""
        import json, sys, boto3, helpers
        lab = helpers.start()
        boto3.client("stepfunctions").list_state_machines()
        interpreter_only = {name: name in sys.modules for name in (
            "moto.stepfunctions.parser.models", "moto.batch.utils", "moto.batch.models", "moto.ec2.models")}
        environments = boto3.client("batch").describe_compute_environments()["computeEnvironments"]
        import moto.batch
        from moto.batch.models import batch_backends
        print(json.dumps({"interpreter_only": interpreter_only, "environments": environments,
                          "models": "moto.batch.models" in sys.modules,
                          "same_backends": moto.batch.batch_backends is batch_backends}))
    """)
    assert seen["interpreter_only"] == {"moto.stepfunctions.parser.models": True, "moto.batch.utils": True,
                                        "moto.batch.models": False, "moto.ec2.models": False}
    assert seen["environments"] == [] and seen["models"] is True and seen["same_backends"] is True


def test_a_changed_signature_fails_at_first_use_naming_the_function():
    """A moto upgrade that changed a function the lab patches lazily: LabSetupError at the first
    Step Functions call (and every later one), naming the function and how to restore the pins."""
    seen = _run("""
        import dataclasses, json, boto3, helpers
        from helpers.motoext import patching
        lab = helpers.start()
        waiting = patching._pending["moto.stepfunctions.parser.models"]
        waiting[0] = dataclasses.replace(waiting[0], signature="(self, as_written_for_an_older_moto)")
        errors = []
        for attempt in range(2):  # the second call must not run an unpatched interpreter
            try:
                boto3.client("stepfunctions").list_state_machines()
                errors.append(None)
            except Exception as error:
                errors.append(type(error).__name__)
                message = str(error)
        print(json.dumps({"errors": errors, "message": message}))
    """)
    assert seen["errors"] == ["LabSetupError", "LabSetupError"]
    assert "moto.stepfunctions.parser.models:StepFunctionsParserBackend" in seen["message"]
    assert "(expected (self, as_written_for_an_older_moto))" in seen["message"]
    assert "pip install -r requirements.txt" in seen["message"]


def test_reset_ends_a_flow_that_stop_cut_short(lab):
    """A call interrupted by Stop never runs its after-call hook; after a reset, new calls start new flows
    (else every later call would join one stale trace, and loop detection would count them together)."""
    from helpers.motoext import core

    with core.bound_trace("Root=1-00000000-stale"):
        core._local.trace = "Root=1-00000000-stale"
        lab.reset()
        assert core.current_trace() is None
