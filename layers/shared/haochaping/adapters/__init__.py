"""Adapters: PynamoDB models and the AWS clients; they know the domain, not the other way round."""
