"""好差评 (haochaping): the shared code every function of a district stack ships in its layer.

``domain`` holds the rules and imports nothing of AWS; ``adapters`` persist and send;
``api`` holds the HTTP routes that the thin handlers in ``functions/`` serve.
"""
