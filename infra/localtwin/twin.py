"""The local twin of one district stack: DynamoDB Local, moto, and what neither runs.

Tables and their streams live in AWS's own DynamoDB Local (localtwin.dynamodb_local), every
other service in moto's server; both run in processes of their own, one of each per twin, on free
loopback ports, and every client of the twin, the functions' and the admin tools' included, is
pointed at each through botocore's per-service endpoint variables (localtwin.endpoints).

The twin keeps one clock (localtwin.clock). Schedules fire on it; and when the twin is given a
``clock_hook`` ("MODULE:FUNCTION", importable from the functions' code or layers), each function's
worker calls that function with the clock's offset from real time, in seconds, before an
invocation whenever the offset changed, so the code's own "now" follows the twin. The hook
travels on the worker's command line, not in the function's environment, which stays as the
template defines it. On AWS nothing calls the hook.

Each function's AWS calls are checked against its own role's policies, as IAM would check them
(localtwin.permissions; ``check_permissions=False`` turns that off). The twin's own calls (its
pollers, gateway and schedules) are not the functions' and are not checked. Given a directory
(``iam_usage_dir``, else the ``LOCALTWIN_IAM_USAGE_DIR`` variable), the twin also records there
every action and resource each function's allowed calls touched (localtwin.iam_usage), read back
with ``actions_used`` and ``iam_usage``; many twins may share the directory.

The clock moves forward with ``LocalTwin.advance`` / ``advance_to`` or over HTTP at
``/_twin/clock`` (see localtwin.admin), and runs ``speed`` times faster than real time.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, make_server

from localtwin.admin import CLOCK_PATH, ClockEndpoint
from localtwin.authorizers import JwtAuthorizer, cognito_jwks_url
from localtwin.clock import Clock
from localtwin.dynamodb_local import DynamoDBLocalProcess
from localtwin.endpoints import Endpoints
from localtwin.expiry import ExpiryDriver
from localtwin.functions import FunctionPool, TwinClock, base_environment
from localtwin.gateway import HttpApi, cors_settings
from localtwin.iam_usage import ENVIRONMENT_VARIABLE, UsageFiles, Use, read_uses, resource_arns
from localtwin.moto_process import MotoProcess
from localtwin.pollers import Poller, QueuePoller, StreamFaults, StreamPoller
from localtwin.schedules import RuleRouter, ScheduleDriver
from localtwin.stack import Stack, create_stack
from localtwin.template import TwinTemplate, transform_template

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
_HOOK_NAME = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class TwinServers:
    """moto's server and DynamoDB Local: one pair per twin, or one pair shared by several district
    stacks, each a LocalTwin of its own, as several districts share one AWS account and region."""

    def __init__(self, host: str = "127.0.0.1", moto_port: int = 0) -> None:
        self.moto = MotoProcess(host, moto_port)
        self.dynamodb = DynamoDBLocalProcess(host)

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(aws=self.moto.endpoint, dynamodb=self.dynamodb.endpoint)

    def start(self) -> TwinServers:
        self.dynamodb.launch()  # the JVM starts while moto does
        self.moto.start()
        self.dynamodb.start()
        return self

    def stop(self) -> None:
        self.moto.stop()
        self.dynamodb.stop()

    def __enter__(self) -> TwinServers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LocalTwin:
    def __init__(
        self,
        template_path: Path,
        parameters: dict[str, str],
        stack_name: str,
        http_port: int = 0,
        moto_port: int = 0,
        speed: float = 1.0,
        echo_logs: bool = False,
        host: str = "127.0.0.1",
        warm: bool = False,
        clock_hook: str | None = None,
        check_permissions: bool = True,
        expire_items: bool = True,
        iam_usage_dir: str | Path | None = None,
        servers: TwinServers | None = None,
        stream_faults: StreamFaults | None = None,
    ) -> None:
        if clock_hook is not None and not _HOOK_NAME.match(clock_hook):
            raise ValueError(f"clock_hook must be MODULE:FUNCTION, not {clock_hook!r}")
        self.clock_hook = clock_hook
        self.check_permissions = check_permissions
        # TTL on the twin's clock; False leaves expired items, as AWS may for up to two days.
        self.expire_items = expire_items
        # A test hook: faults the stream mappings meet on AWS, made frequent (None: none injected).
        self.stream_faults = stream_faults
        usage_dir = iam_usage_dir if iam_usage_dir is not None else os.environ.get(ENVIRONMENT_VARIABLE)
        # Recorded by the permission check: nothing to record without it.
        self.iam_usage_files = UsageFiles.for_twin(usage_dir, stack_name) if usage_dir and check_permissions else None
        self.template_path = Path(template_path)
        self.parameters = dict(parameters)
        self.stack_name = stack_name
        self.http_port = http_port
        self.moto_port = moto_port
        self.host = host
        self.echo_logs = echo_logs
        self.warm = warm
        self.clock = Clock(speed=speed)
        # Servers given are shared with other stacks and outlive this one; otherwise they are its own.
        self.servers = servers
        self.owns_servers = servers is None
        self.expiry: ExpiryDriver | None = None
        self.server: BaseWSGIServer | None = None
        self.template: TwinTemplate | None = None
        self.stack: Stack | None = None
        self.functions: FunctionPool | None = None
        self.api: HttpApi | None = None
        self.authorizer: JwtAuthorizer | None = None
        self.pollers: list[Poller] = []
        self.schedules: ScheduleDriver | None = None
        self.rules: RuleRouter | None = None

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> LocalTwin:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if self.servers is None:
            self.servers = TwinServers(self.host, self.moto_port).start()
        self.endpoints = self.servers.endpoints
        self.endpoint = self.endpoints.aws
        self.session = boto3.Session(
            aws_access_key_id="localtwin", aws_secret_access_key="localtwin", region_name=REGION
        )
        self.template = transform_template(self.template_path, self.parameters, REGION)
        authorizers = [route.authorizer_config for route in self.template.routes if route.authorizer_config]
        self.stack = create_stack(
            self._session(), self.template, self.stack_name, self.parameters, extra_values=authorizers, account=ACCOUNT
        )
        self.functions = FunctionPool(
            self.template.functions,
            self.stack.functions,
            base_environment(self.endpoints, REGION),
            echo_logs=self.echo_logs,
            clock=TwinClock(self.clock_hook, self.clock.offset_seconds) if self.clock_hook else None,
            check_permissions=self.check_permissions,
            iam_usage=self.iam_usage_files,
        )
        if self.iam_usage_files is not None:
            self.iam_usage_files.write_manifest(
                self.template_path,
                self.stack_name,
                {name: spec.code_dir for name, spec in self.template.functions.items()},
                resource_arns(self.stack.resources, REGION, ACCOUNT),
            )
        self._start_event_sources()
        self._start_http()
        if self.warm:
            self.functions.warm()
        return self

    def _session(self) -> _EndpointSession:
        return _EndpointSession(self.session, self.endpoints)

    def _start_event_sources(self) -> None:
        assert self.template and self.stack and self.functions
        session = self._session()
        for source in self.template.event_sources:
            source_arn = self.stack.outputs[source.source_output]
            on_failure = self.stack.outputs.get(source.on_failure_output or "")
            poller: Poller
            if source.kind == "dynamodb":
                assert self.stack.engine_arns is not None
                poller = StreamPoller(
                    source,
                    source_arn,
                    on_failure,
                    self.functions,
                    session,
                    REGION,
                    engine_arns=self.stack.engine_arns,
                    faults=self.stream_faults,
                )
            else:
                poller = QueuePoller(source, source_arn, on_failure, self.functions, session, REGION)
            poller.start()
            self.pollers.append(poller)
        if self.expire_items:
            self.expiry = ExpiryDriver(
                self.stack, session.client("dynamodb"), session.client("dynamodbstreams"), self.clock
            )
            self.expiry.start()
        self.schedules = ScheduleDriver(self.template.schedules, self.functions, self.clock, ACCOUNT, REGION)
        self.schedules.start()
        rule_queues = [
            (rule.function, rule.input, self.stack.outputs[f"TwinRuleQueue{rule.logical_id}"])
            for rule in self.template.rules
        ]
        self.rules = RuleRouter(rule_queues, self.functions, session.client("sqs"))
        self.rules.start()

    def _start_http(self) -> None:
        assert self.template and self.functions
        # Routes with an authorizer are enforced as API Gateway does; settings are checked now,
        # so a template the twin cannot honour stops the start instead of opening a route.
        self.authorizer = JwtAuthorizer(self.resolve, cognito_jwks_url(self.endpoint))
        for route in self.template.routes:
            if route.authorizer:
                self.authorizer.settings(route)
        api_properties: dict[str, Any] = {}
        for resource in self.template.sam.get("Resources", {}).values():
            if resource.get("Type") == "AWS::Serverless::HttpApi":
                api_properties = resource.get("Properties", {})
        self.api = HttpApi(
            self.template.routes,
            self.functions,
            api_id="localtwin",
            region=REGION,
            account=ACCOUNT,
            cors=cors_settings(api_properties, self.resolve),
            authorizer=self.authorizer,
            clock=self.clock.now,
        )
        self.api.mount(CLOCK_PATH, ClockEndpoint(self.clock, self._clock_moved))
        self.server = make_server(self.host, self.http_port, self.api, threaded=True)
        self.http_port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True, name="http").start()

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        for thread in (self.schedules, self.rules, self.expiry):
            if thread is not None:
                thread.stop()
        if self.server is not None:
            self.server.shutdown()
        if self.functions is not None:
            self.functions.stop()
        if self.servers is not None and self.owns_servers:
            self.servers.stop()

    def __enter__(self) -> LocalTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what callers need ------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def clock_url(self) -> str:
        return f"{self.url}{CLOCK_PATH}"

    def client(self, service: str) -> Any:
        return self._session().client(service)

    def now(self) -> datetime:
        """The twin's time: what its schedules and (with a clock hook) its functions take as now."""
        return self.clock.now()

    def advance(self, delta: timedelta) -> datetime:
        """Move the twin's clock forward by ``delta``, wake the schedules; returns the new now.

        Raises localtwin.clock.ClockError for a negative ``delta``.
        """
        now = self.clock.advance(delta)
        self._clock_moved()
        return now

    def advance_to(self, moment: datetime) -> datetime:
        """Move the twin's clock forward to ``moment`` (timezone-aware); as ``advance``."""
        now = self.clock.advance_to(moment)
        self._clock_moved()
        return now

    def _clock_moved(self) -> None:
        if self.schedules is not None:
            self.schedules.poke()
        if self.expiry is not None:
            self.expiry.poke()

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        assert self.functions
        return self.functions.invoke(logical_id, event)

    def logs(self, logical_id: str | None = None) -> list[str]:
        assert self.functions
        return self.functions.log_lines(logical_id)

    def iam_usage(self) -> list[Use]:
        """Each action and resource the functions' allowed calls touched so far (localtwin.iam_usage)."""
        if self.iam_usage_files is None:
            raise RuntimeError(
                f"this twin records no IAM usage: give iam_usage_dir or set {ENVIRONMENT_VARIABLE}, "
                "and keep check_permissions"
            )
        return read_uses(self.iam_usage_files.directory, twin=self.iam_usage_files.twin)

    def actions_used(self) -> dict[str, set[str]]:
        """The IAM actions each function's allowed calls used so far, by logical id (checked services)."""
        used: dict[str, set[str]] = {}
        for use in self.iam_usage():
            if use.checked:
                used.setdefault(use.function, set()).add(use.action)
        return used

    def function_environment(self, logical_id: str) -> dict[str, str]:
        assert self.stack
        return {k: str(v) for k, v in self.stack.functions[logical_id].environment.items()}

    def resolve(self, value: Any) -> Any:
        """Resolve the intrinsics inside a template value, as CloudFormation would for this stack."""
        assert self.stack
        return self.stack.resolve(value)


class _EndpointSession:
    """A boto3 session whose clients talk to the twin: DynamoDB Local or moto, by service."""

    def __init__(self, session: boto3.Session, endpoints: Endpoints) -> None:
        self._session = session
        self._endpoints = endpoints

    def client(self, service: str) -> Any:
        session: Any = self._session  # any service by name, so not one typed overload
        return session.client(service, endpoint_url=self._endpoints.for_service(service))


def env_for_clients(endpoints: Endpoints) -> dict[str, str]:
    """Variables that point an outside process's boto3 (and PynamoDB) at the twin."""
    return {
        **endpoints.environment(),
        "AWS_ACCESS_KEY_ID": "localtwin",
        "AWS_SECRET_ACCESS_KEY": "localtwin",
        "AWS_DEFAULT_REGION": REGION,
        "PATH": os.environ.get("PATH", ""),
    }
