"""A required text's schema and its model agree on what is blank, character by character."""

from __future__ import annotations

import jsonschema_rs
import pytest
from haochaping.api.staff_session import SignIn
from pydantic import ValidationError

pytestmark = pytest.mark.unit

# Every character of the Basic Multilingual Plane but the surrogates, which no UTF-8 text holds.
CHARACTERS = [chr(point) for point in range(0x10000) if not 0xD800 <= point <= 0xDFFF]


def test_a_text_the_schema_takes_is_one_the_model_takes() -> None:
    # Given the staff password's schema, as a client's validator reads it (ECMA-262 regular expressions)
    field = SignIn.model_json_schema()["properties"]["password"]
    schema = jsonschema_rs.validator_for({"type": "string", **{k: field[k] for k in ("minLength", "pattern")}})
    # When each one-character password the schema takes is signed in with
    refused = []
    for character in CHARACTERS:
        if not schema.is_valid(character):
            continue
        try:
            SignIn(username="YC018001", password=character)
        except ValidationError:
            refused.append(f"U+{ord(character):04X}")
    # Then the model takes it too: no character is blank to Python's strip but not to the schema
    assert refused == []


@pytest.mark.parametrize("blank", [" ", "   ", "\t\n", "\u3000", "\x1f", "\x85", " \u00a0 "])
def test_a_blank_text_is_refused_by_both(blank: str) -> None:
    # Given a password of blanks alone
    field = SignIn.model_json_schema()["properties"]["password"]
    schema = jsonschema_rs.validator_for({"type": "string", **{k: field[k] for k in ("minLength", "pattern")}})
    # Then the schema refuses it, and so does the model
    assert not schema.is_valid(blank)
    with pytest.raises(ValidationError):
        SignIn(username="YC018001", password=blank)
