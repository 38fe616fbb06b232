"""好差评 (haochaping): the shared code every function of a district stack ships in its layer.

``domain`` holds the rules and imports nothing of AWS; ``operations`` join them to the stores,
one module per capability, through the ports they declare; ``adapters`` are those stores and
senders on AWS; ``wiring`` builds them once from a function's settings; ``api`` holds the HTTP
routes that the thin handlers in ``functions/`` serve, ``web`` their pages, ``admin`` the
command line.
"""
