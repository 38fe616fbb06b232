"""The local twin: the district's template.yaml on one machine, with no AWS account.

moto stores the stack's resources; this package runs what moto stores but never runs —
HTTP API routes, stream and queue event sources, schedules and EventBridge rules — by
reading them from the template. It knows the template, the handler entry points and AWS's
wire formats, and nothing of the domain.
"""
