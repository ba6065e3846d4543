"""Secret redaction: every detector, false positives, configuration, idempotence, properties.

Planted secrets are assembled at run time so secret scanners do not flag this file.
"""

from __future__ import annotations

import re

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_core import (
    Episode,
    ExecutionStep,
    Limits,
    RedactionConfig,
    Reflection,
    SecretRedactor,
    TaskContext,
    TaskOutcome,
    ValidationError,
)
from memory_core.models import utc_now
from memory_core.redaction import DETECTORS

ALNUM = "A1b2C3d4E5f6G7h8J9k0"
LOWER = "q7w8e9r0t1y2u3i4o5p6"

AWS_ID = "AK" + "IA" + "Q3EXAMPLE7KEY2ZZ"
AWS_SECRET = "wJalr" + "XUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
GITHUB = "gh" + "p_" + ALNUM + "Zx" + "9" * 14
GITHUB_PAT = "github" + "_pat_" + "11ABCDEFG0" + "_" + ALNUM * 3
OPENAI = "sk" + "-" + ALNUM * 2 + "T3Blbk"
OPENAI_PROJ = "sk" + "-proj-" + ALNUM + "_" + ALNUM + "-" + LOWER
ANTHROPIC = "sk" + "-ant-api03-" + ALNUM * 3 + "-AA"
STRIPE = "sk" + "_live_" + ALNUM + "Qq"
STRIPE_RESTRICTED = "rk" + "_live_" + LOWER + "Zz"
SLACK = "xo" + "xb-" + "1234567890-0987654321-" + ALNUM
SLACK_HOOK_PATH = "T0" + "1ABCDEF/B0" + "2GHIJKL/" + ALNUM
GOOGLE = "AI" + "za" + "SyD" + ALNUM + "abcdefghijkl"
GITLAB = "gl" + "pat-" + ALNUM
HUGGINGFACE = "h" + "f_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
NPM = "np" + "m_" + ALNUM + "abcdefghijklmnop"
PYPI = "py" + "pi-AgEIcHlwaS5vcmc" + ALNUM * 3
JWT = (
    "ey" + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
BEARER = "tok" + ALNUM + "xyz"
PEM_BODY = "MIIEpAIBAAKCAQEA" + ALNUM * 3 + "\n" + LOWER * 3 + "==\n"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----\n" + PEM_BODY + "-----END RSA " + "PRIVATE KEY-----"


def redactor(**config: object) -> SecretRedactor:
    return SecretRedactor(RedactionConfig(enabled=True, **config))  # type: ignore[arg-type]


# (detector, text, the secret, what must survive)
POSITIVE = [
    ("private_key", f"key:\n{PEM}\ndone", PEM_BODY.strip(), ["key:", "done"]),
    (
        "private_key",
        "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n" + PEM_BODY + "(output truncated",
        PEM_BODY.strip(),
        [],
    ),
    (
        "private_key",
        '{"pem": "-----BEGIN ' + "PRIVATE KEY-----\\nMIIB" + ALNUM + "\\n-----END "
        'PRIVATE KEY-----\\n"}',
        "MIIB" + ALNUM,
        ['{"pem": "'],
    ),
    ("anthropic_key", f"ANTHROPIC_KEY {ANTHROPIC} set", ANTHROPIC, ["ANTHROPIC_KEY", "set"]),
    ("openai_key", f"using {OPENAI} now", OPENAI, ["using", "now"]),
    ("openai_key", f"client = OpenAI(key='{OPENAI_PROJ}')", OPENAI_PROJ, ["client = OpenAI("]),
    ("stripe_key", f"stripe {STRIPE}", STRIPE, ["stripe"]),
    ("stripe_key", f"restricted {STRIPE_RESTRICTED}.", STRIPE_RESTRICTED, ["restricted"]),
    ("aws_access_key_id", f"AWS_ACCESS_KEY_ID={AWS_ID}", AWS_ID, ["AWS_ACCESS_KEY_ID="]),
    (
        "aws_secret_key",
        f"[default]\naws_secret_access_key = {AWS_SECRET}\n",
        AWS_SECRET,
        ["aws_secret_access_key = "],
    ),
    ("aws_secret_key", f'{{"SecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET, ["SecretAccessKey"]),
    ("github_token", f"git clone https://{GITHUB}@github.com/o/r", GITHUB, ["github.com/o/r"]),
    ("github_token", f"export TOKEN_VALUE {GITHUB_PAT}", GITHUB_PAT, ["export"]),
    ("gitlab_token", f"PRIVATE-TOKEN {GITLAB}", GITLAB, ["PRIVATE-TOKEN"]),
    ("slack_token", f"slack {SLACK} ok", SLACK, ["slack", "ok"]),
    (
        "slack_token",
        f"POST https://hooks.slack.com/services/{SLACK_HOOK_PATH}",
        SLACK_HOOK_PATH,
        ["https://hooks.slack.com/services/"],
    ),
    ("google_api_key", f"maps?key {GOOGLE}", GOOGLE, ["maps?key"]),
    ("huggingface_token", f"HF {HUGGINGFACE}", HUGGINGFACE, ["HF"]),
    ("npm_token", f"//registry.npmjs.org/:_authToken {NPM}", NPM, ["registry.npmjs.org"]),
    ("pypi_token", f"twine upload -p {PYPI}", PYPI, ["twine upload"]),
    ("jwt", f"id_token {JWT} expires", JWT, ["id_token", "expires"]),
    (
        "bearer_token",
        f"curl -H 'Authorization: Bearer {BEARER}' https://api.example.com",
        BEARER,
        ["Authorization: Bearer ", "https://api.example.com"],
    ),
    ("bearer_token", f"bearer {BEARER}", BEARER, ["bearer "]),
    (
        "basic_auth",
        "Authorization: Basic dXNlcjpodW50ZXIy" + "c2VjcmV0",
        "dXNlcjpodW50ZXIy" + "c2VjcmV0",
        ["Authorization: Basic "],
    ),
    (
        "url_credentials",
        "connect postgres://app:" + "s3cr3t-pw@db.internal:5432/orders",
        "s3cr3t-pw",
        ["postgres://app:", "@db.internal:5432/orders"],
    ),
    (
        "url_credentials",
        "redis://:" + "p@ss!word9@cache:6379/0",
        "p@ss!word9",
        ["redis://:", "@cache:6379/0"],
    ),
    ("generic_secret", "DB_PASSWORD=" + "hunter2", "hunter2", ["DB_PASSWORD="]),
    ("generic_secret", 'password: "' + 'correct horse"', "correct horse", ["password"]),
    ("generic_secret", "{'api_key': '" + "abc-def-123'}", "abc-def-123", ["'api_key': '"]),
    ("generic_secret", "client_secret = " + "x9y8z7w6", "x9y8z7w6", ["client_secret = "]),
    ("generic_secret", "secret_key: " + "qwe123rty", "qwe123rty", ["secret_key: "]),
    (
        "generic_secret",
        "https://api.x.io/v1?access_token=" + "zzz999&page=2",
        "zzz999",
        ["&page=2"],
    ),
    ("generic_secret", "mysql -u root --password " + "Pa55word", "Pa55word", ["--password "]),
    ("generic_secret", '{\\"token\\": \\"' + 'abc123xyz\\"}', "abc123xyz", ['{\\"token\\"']),
]

NEGATIVE = [
    "Compiled successfully in 1.25 s; 42 tests passed",
    "episode 3f2b6c1e-8d4a-4e5f-9a7b-0c1d2e3f4a5b completed",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b\nAuthor: Jane <jane@example.com>",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "/home/user/projects/api/src/handlers/token_refresh.py:42: in refresh",
    "C:\\Users\\me\\AppData\\Local\\secrets\\config.json not found",
    "tokens=2500 max_tokens: 512 token_count=3 tokenizer=bert-base-uncased",
    "token_type=bearer expires_in=3600",
    "Token: expired. Please log in again.",
    "password: ********",
    "password = os.environ.get('DB_PASSWORD')",
    "api_key = ${OPENAI_API_KEY}",
    "password=None, token: str, secret: Optional[str] = None",
    "Bearer tokens are short-lived; refresh before the bearer expires",
    "pip install scikit-learn; import sk-learn-compatible-estimator",
    "https://example.com:8443/path?q=1 and git@github.com:org/repo.git",
    "memory-mcp --token-file /etc/memory/token --no-redact-secrets",
    "AKIA is the prefix of AWS access key ids",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
    "if token == expected: return True",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    "The secret to fast builds is caching; see docs/secret-management.md",
    # Code quoted in observations: variables and calls are not literals.
    "self._token = set_field('operation', name)",
    "client = Client(api_key=api_key, auth_token=token, http_token=_STATIC)",
    "token = generate_token()\nsecret = secrets[name]",
    "see `password=...` and `api_key = value` in the docs",
]


@pytest.mark.parametrize(("kind", "text", "secret", "kept"), POSITIVE)
def test_each_detector_replaces_only_the_secret(
    kind: str, text: str, secret: str, kept: list[str]
) -> None:
    red = redactor()
    out = red.redact_text(text)
    assert secret not in out
    assert f"[REDACTED:{kind}]" in out, out
    for part in kept:
        assert part in out
    assert red.stats().by_kind == {kind: 1}
    # Idempotent: redacting redacted text changes and counts nothing.
    assert red.redact_text(out) == out
    assert red.stats().values_redacted == 1


def test_every_detector_has_a_positive_case() -> None:
    covered = {kind for kind, *_ in POSITIVE} | {"sensitive_field"}
    assert covered == set(DETECTORS)


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_text_is_left_alone(text: str) -> None:
    red = redactor()
    assert red.redact_text(text) == text
    assert red.stats().values_redacted == 0


def test_only_the_chosen_detectors_run() -> None:
    red = redactor(detectors=["github_token"])
    out = red.redact_text(f"{GITHUB} {OPENAI} password=hunter2")
    assert GITHUB not in out
    assert OPENAI in out
    assert "hunter2" in out
    assert red.redact_value({"password": "x"}) == {"password": "x"}


def test_extra_patterns_and_replacement_template() -> None:
    red = redactor(
        extra_patterns=[r"INTERNAL-[0-9]{6}", r"pin=(?P<secret>[0-9]{4})"],
        replacement="<{kind} removed>",
    )
    out = red.redact_text(f"ticket INTERNAL-123456 pin=4321 key {GITHUB}")
    assert out == "ticket <custom removed> pin=<custom removed> key <github_token removed>"
    assert red.redact_text(out) == out
    assert red.stats().by_kind == {"custom": 2, "github_token": 1}


def test_a_template_without_kind_is_still_idempotent() -> None:
    red = redactor(replacement="***")
    once = red.redact_text("password=hunter2 and token: abc123def")
    assert once == "password=*** and token: ***"
    assert red.redact_text(once) == once


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"detectors": ["github_token", "nope"]}, "unknown detector"),
        ({"extra_patterns": ["(unclosed"]}, "not a valid regular expression"),
        ({"extra_patterns": ["a*"]}, "matches the empty string"),
        ({"extra_patterns": [""]}, "must be 1-"),
        ({"extra_patterns": [r"x\d"] * 65}, "the limit is 64"),
        ({"replacement": ""}, "non-empty"),
        ({"replacement": "[{secret}]"}, "unknown placeholder"),
        ({"replacement": "[{kind"}, "not a valid template"),
        ({"replacement": "a\nb"}, "control character"),
        ({"replacement": "x" * 101}, "the limit is 100"),
        ({"enabled": "yes"}, "must be a bool"),
    ],
)
def test_bad_configuration_is_a_clear_error(config: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        RedactionConfig(**config)


def test_config_round_trips_and_is_off_by_default() -> None:
    config = RedactionConfig(enabled=True, detectors=("jwt",), extra_patterns=(r"X\d{3}",))
    data = msgspec.json.encode(config)
    assert msgspec.json.decode(data, type=RedactionConfig) == config
    assert RedactionConfig().enabled is False
    with pytest.raises(msgspec.ValidationError, match="not a valid regular expression"):
        msgspec.json.decode(b'{"extra_patterns": ["("]}', type=RedactionConfig)


# Structured values and models -----------------------------------------------------------------
def test_mappings_redact_credential_named_keys_and_nested_values() -> None:
    red = redactor()
    value = {
        "password": "plain words",
        "apiKey": "k",
        "headers": {"Authorization": "Basic abc", "X-Request-Id": "r-1"},
        "credentials": {"user": "me", "nested": ["a", "b"]},
        "cmd": f"deploy --token={GITHUB}",
        "tokens": 2500,
        "token_type": "bearer",
        "max_tokens": "512",
        "empty_secret": "",
        "list": [{"client_secret": "s"}, f"AWS {AWS_ID}"],
        f"key-{GITHUB}": 1,
    }
    out = red.redact_value(value)
    marker = "[REDACTED:sensitive_field]"
    assert out["password"] == out["apiKey"] == out["headers"]["Authorization"] == marker
    assert out["headers"]["X-Request-Id"] == "r-1"
    assert out["credentials"] == {"user": marker, "nested": [marker, marker]}
    assert out["cmd"] == "deploy --token=[REDACTED:github_token]"
    assert out["tokens"] == 2500
    assert out["token_type"] == "bearer"
    assert out["max_tokens"] == "512"
    assert out["empty_secret"] == ""
    assert out["list"] == [{"client_secret": marker}, "AWS [REDACTED:aws_access_key_id]"]
    assert "key-[REDACTED:github_token]" in out
    assert red.redact_value(out) == out


def test_keys_redacted_alike_keep_both_values() -> None:
    out = redactor().redact_value({f"a {GITHUB}": 1, f"a {GITHUB[:-1]}Q": 2})
    assert sorted(out.values()) == [1, 2]
    assert len(out) == 2


def _episode(secret: str) -> Episode:
    now = utc_now()
    step = ExecutionStep(
        tool=f"tool {secret}",
        action=f"run {secret}",
        observation=f"saw {secret}",
        error=f"failed {secret}",
        parameters={"arg": f"use {secret}", "nested": [{"deep": secret}]},
        step_number=1,
        timestamp=now,
    )
    return Episode(
        id=__import__("uuid").uuid4(),
        task_description=f"task with {secret}",
        task_type=f"type {secret}",
        context=TaskContext(
            language=f"lang {secret}",
            domain=f"dom {secret}",
            framework=f"fw {secret}",
            tags=(secret.lower(),),
        ),
        steps=(step,),
        outcome=TaskOutcome(
            success=True,
            result=f"result {secret}",
            error=f"error {secret}",
            artifacts=(f"artifact {secret}",),
            completed=(f"done {secret}",),
            failed=(f"missed {secret}",),
        ),
        reflection=Reflection(
            successes=(f"s {secret}",), improvements=(f"i {secret}",), insights=(f"n {secret}",)
        ),
        tags=(secret.lower(),),
        metadata={"note": f"meta {secret}", "deep": {"x": [secret]}},
        started_at=now,
        completed_at=now,
    )


def test_an_episode_has_no_secret_left_in_any_field() -> None:
    red = redactor()
    episode = _episode(GITHUB)
    out = red.redact_value(msgspec.to_builtins(red.episode(episode, Limits())))
    encoded = msgspec.json.encode(out).decode()
    assert GITHUB not in encoded
    assert GITHUB.lower() not in encoded.lower()
    assert "redacted-github_token" in encoded  # tags keep their charset
    # 23 free-text fields, tags counted once each (context and episode).
    assert red.stats().by_kind == {"github_token": 23}


def test_disabled_redactor_returns_its_inputs() -> None:
    red = SecretRedactor()
    episode = _episode(GITHUB)
    assert red.episode(episode) is episode
    assert red.step(episode.steps[0]) is episode.steps[0]
    assert episode.outcome is not None
    assert red.outcome(episode.outcome) is episode.outcome
    assert red.context(episode.context) is episode.context
    assert red.stats().enabled is False


def test_fields_stay_within_their_limits_after_redaction() -> None:
    red = redactor()
    limits = Limits(max_observation_chars=40)
    text = "p=1 password=abc " + "x" * 23  # 40 characters; the marker is longer than "abc"
    step = red.step(ExecutionStep(tool="t", action="a", observation=text), limits)
    assert len(step.observation) == 40
    assert "abc" not in step.observation
    tight = Limits(max_parameters_bytes=30)
    with pytest.raises(ValidationError, match="after redacting secrets"):
        red.step(ExecutionStep(tool="t", action="a", parameters={"password": "p"}), tight)


# Properties -----------------------------------------------------------------------------------
PLANTED = [
    GITHUB,
    GITHUB_PAT,
    OPENAI,
    OPENAI_PROJ,
    ANTHROPIC,
    STRIPE,
    AWS_ID,
    SLACK,
    GOOGLE,
    GITLAB,
    JWT,
    PEM,
    "Authorization: Bearer " + BEARER,
    "password=" + "hunter2x",
    "aws_secret_access_key=" + AWS_SECRET,
    "https://u:" + "pw9secret" + "@h.example.com/",
]
# What must be gone for each planted string (the secret part of a context-bound one).
SECRET_OF = {
    "Authorization: Bearer " + BEARER: BEARER,
    "password=" + "hunter2x": "hunter2x",
    "aws_secret_access_key=" + AWS_SECRET: AWS_SECRET,
    "https://u:" + "pw9secret" + "@h.example.com/": "pw9secret",
    PEM: PEM_BODY.strip(),
}

noise = st.lists(
    st.sampled_from(
        [*"abcxyzAZ019 \n\t=:-_./@'\"{}[]", "Bearer ", "password", "sk-", "eyJ", "://"]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(before=st.text(max_size=80) | noise, after=st.text(max_size=80) | noise, data=st.data())
def test_a_planted_secret_never_survives(before: str, after: str, data: st.DataObject) -> None:
    planted = data.draw(st.sampled_from(PLANTED))
    text = f"{before} {planted} {after}"
    out = redactor().redact_text(text)
    assert SECRET_OF.get(planted, planted) not in out


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300) | noise)
def test_redaction_is_idempotent_on_any_text(text: str) -> None:
    red = redactor()
    once = red.redact_text(text)
    count = red.stats().values_redacted
    assert red.redact_text(once) == once
    assert red.stats().values_redacted == count


adversarial_fragments = st.sampled_from(
    [
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END",
        "Bearer ",
        "bearer\t",
        "password=",
        'token: "',
        "sk-",
        "sk-ant-",
        "eyJ",
        "eyJabcdefgh.",
        "AKIA",
        "ghp_",
        "xoxb-",
        "://",
        "u:p@",
        "a" * 50,
        "1" * 30,
        "=",
        ":",
        "-",
        " ",
        "\n",
        ".",
        "@",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(adversarial_fragments, max_size=400).map("".join))
def test_adversarial_text_is_handled(text: str) -> None:
    # No timing assertion: the patterns are bounded, so this just has to finish.
    red = redactor()
    out = red.redact_text(text)
    assert red.redact_text(out) == out


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN RSA PRIVATE KEY-----" * 5000,
        "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 200_000,
        "Bearer " * 20_000,
        "password=" * 20_000,
        "eyJ" + "a" * 100_000 + ".",
        "sk-" + "a" * 100_000,
        "a://" * 20_000 + "x:" * 20_000,
        "x" * 200_000,
    ],
)
def test_large_pathological_inputs_finish(text: str) -> None:
    out = redactor().redact_text(text)
    assert isinstance(out, str)


def test_detector_names_are_documented() -> None:
    for name, description in DETECTORS.items():
        assert re.fullmatch(r"[a-z0-9_]+", name)
        assert description
