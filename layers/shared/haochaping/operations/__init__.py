"""The operations: one module per capability, each joining the domain's rules to the stores.

==================  =================================================================
``rules``           the district's rules built from its settings (deadlines, ladder, rating
                    rules, appeal period, retention): the one place settings become rules
``ports``           what an operation needs from the world, as protocols (stores, senders)
``ratings``         a citizen's rating 提交评价, the form a plate opens, a rating read back
``followup``        a bad review's task 回访核实: opening it, staff's and citizens' moves, views
``citizen``         the citizen's verdict and appeal, each behind the citizen's key 评价人密钥
``suspected``       ratings held for review as suspected automated 疑似刷评: listed, released, rejected
``escalation``      deadlines and escalation 督办: the sweep and taking one step
``retention``       removing evaluators' personal data when its time has come
``stream``          what follows from a change in the Ratings table (the stream as outbox)
``scores``          every rating and task change counted on the score sheets, exactly once
==================  =================================================================

Publication will be a module of its own here. A handler takes its stores and rules
from :mod:`haochaping.wiring` and hands them in; an operation receives and returns domain objects.
"""
