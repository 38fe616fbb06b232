"""The local twin of one district stack: moto plus what moto does not run."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, make_server

from localtwin.authorizers import JwtAuthorizer, cognito_jwks_url
from localtwin.clock import Clock
from localtwin.functions import FunctionPool, base_environment
from localtwin.gateway import HttpApi, cors_settings
from localtwin.moto_process import MotoProcess
from localtwin.pollers import Poller, QueuePoller, StreamPoller
from localtwin.schedules import RuleRouter, ScheduleDriver
from localtwin.stack import Stack, create_stack
from localtwin.template import TwinTemplate, transform_template

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


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
    ) -> None:
        self.template_path = Path(template_path)
        self.parameters = dict(parameters)
        self.stack_name = stack_name
        self.http_port = http_port
        self.moto_port = moto_port
        self.host = host
        self.echo_logs = echo_logs
        self.warm = warm
        self.clock = Clock(speed=speed)
        self.moto: MotoProcess | None = None
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
        self.moto = MotoProcess(self.host, self.moto_port)
        self.moto.start()
        self.endpoint = self.moto.endpoint
        self.session = boto3.Session(
            aws_access_key_id="localtwin", aws_secret_access_key="localtwin", region_name=REGION
        )
        self.template = transform_template(self.template_path, self.parameters, REGION)
        authorizers = [route.authorizer_config for route in self.template.routes if route.authorizer_config]
        self.stack = create_stack(
            self._session(), self.template, self.stack_name, self.parameters, extra_values=authorizers
        )
        self.functions = FunctionPool(
            self.template.functions,
            self.stack.functions,
            base_environment(self.endpoint, REGION),
            echo_logs=self.echo_logs,
        )
        self._start_event_sources()
        self._start_http()
        if self.warm:
            self.functions.warm()
        return self

    def _session(self) -> _EndpointSession:
        return _EndpointSession(self.session, self.endpoint)

    def _start_event_sources(self) -> None:
        assert self.template and self.stack and self.functions
        session = self._session()
        for source in self.template.event_sources:
            source_arn = self.stack.outputs[source.source_output]
            on_failure = self.stack.outputs.get(source.on_failure_output or "")
            kind = StreamPoller if source.kind == "dynamodb" else QueuePoller
            poller = kind(source, source_arn, on_failure, self.functions, session, REGION)
            poller.start()
            self.pollers.append(poller)
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
        )
        self.server = make_server(self.host, self.http_port, self.api, threaded=True)
        self.http_port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True, name="http").start()

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        for thread in (self.schedules, self.rules):
            if thread is not None:
                thread.stop()
        if self.server is not None:
            self.server.shutdown()
        if self.functions is not None:
            self.functions.stop()
        if self.moto is not None:
            self.moto.stop()

    def __enter__(self) -> LocalTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what callers need ------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def client(self, service: str) -> Any:
        return self._session().client(service)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        assert self.functions
        return self.functions.invoke(logical_id, event)

    def logs(self, logical_id: str | None = None) -> list[str]:
        assert self.functions
        return self.functions.log_lines(logical_id)

    def function_environment(self, logical_id: str) -> dict[str, str]:
        assert self.stack
        return {k: str(v) for k, v in self.stack.functions[logical_id].environment.items()}

    def resolve(self, value: Any) -> Any:
        """Resolve the intrinsics inside a template value, as CloudFormation would for this stack."""
        assert self.stack
        return self.stack.resolve(value)


class _EndpointSession:
    """A boto3 session whose clients all talk to moto."""

    def __init__(self, session: boto3.Session, endpoint: str) -> None:
        self._session = session
        self._endpoint = endpoint

    def client(self, service: str) -> Any:
        session: Any = self._session  # any service by name, so not one typed overload
        return session.client(service, endpoint_url=self._endpoint)


def env_for_clients(endpoint: str) -> dict[str, str]:
    """Variables that point an outside process's boto3 at the twin's moto."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "localtwin",
        "AWS_SECRET_ACCESS_KEY": "localtwin",
        "AWS_DEFAULT_REGION": REGION,
        "PATH": os.environ.get("PATH", ""),
    }
