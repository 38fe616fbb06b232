"""Where the twin's AWS lives: DynamoDB (and its streams) in DynamoDB Local, the rest in moto.

botocore reads a per-service endpoint variable before the general one, so one environment
points every client, PynamoDB's included, at the right server.
"""

from __future__ import annotations

from dataclasses import dataclass

DYNAMODB_SERVICES = ("dynamodb", "dynamodbstreams")


@dataclass(frozen=True)
class Endpoints:
    aws: str  # moto's server
    dynamodb: str  # DynamoDB Local

    def for_service(self, service: str) -> str:
        return self.dynamodb if service in DYNAMODB_SERVICES else self.aws

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.aws,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb,
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": self.dynamodb,
        }
