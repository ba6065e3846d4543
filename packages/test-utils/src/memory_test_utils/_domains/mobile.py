"""Domain mobile: screens, crashes, releases and UI tests."""

from __future__ import annotations

from .._vocabulary_types import Domain
from ._constructors import stack, task_kind

__all__ = ["DOMAIN"]

_MOBILE_ENTITIES = ("login", "settings", "profile", "checkout", "onboarding")
DOMAIN = Domain(
    name="mobile",
    stacks=(
        stack(
            "kotlin",
            "android",
            ("gradle", "adb", "ktlint", "emulator"),
            (("ktlint", "gradle", "adb"), ("gradle", "emulator", "adb")),
            ("gradle_kotlin", "adb_offline", "git_push_rejected"),
            ("app_launch",),
            ("app/src/main/java/com/example/{entity}/Screen.kt", "app/build/outputs/app.apk"),
        ),
        stack(
            "swift",
            "swiftui",
            ("xcodebuild", "swiftlint", "simctl", "pod", "fastlane"),
            (("swiftlint", "xcodebuild", "simctl"), ("pod", "xcodebuild", "fastlane")),
            ("xcode_destination", "pod_versions"),
            ("ios_tests",),
            ("App/Views/{entity}View.swift", "AppTests/{entity}Tests.swift"),
        ),
        stack(
            "dart",
            "flutter",
            ("flutter", "dart"),
            (("dart", "flutter", "git"),),
            ("dart_method", "git_push_rejected"),
            ("flutter_analyze",),
            ("lib/screens/{entity}_screen.dart", "test/{entity}_test.dart"),
        ),
    ),
    kinds=(
        task_kind(
            "mobile.screen",
            "code_generation",
            ("ui", "mobile"),
            "Screen implemented",
            _MOBILE_ENTITIES,
            "Build a {entity} screen with form validation",
            "Add a {entity} view with pull to refresh",
            "Implement the {entity} screen from the design",
        ),
        task_kind(
            "mobile.crash",
            "debugging",
            ("crash", "mobile"),
            "Crash fixed",
            _MOBILE_ENTITIES,
            "Fix the crash when opening the {entity} screen",
            "Debug ANR on the {entity} screen",
            "Investigate slow startup of the {entity} flow",
        ),
        task_kind(
            "mobile.release",
            "code_generation",
            ("release", "mobile"),
            "Beta build uploaded",
            _MOBILE_ENTITIES,
            "Prepare a beta release with the new {entity} feature",
            "Automate store screenshots for the {entity} flow",
        ),
        task_kind(
            "mobile.tests",
            "testing",
            ("testing", "ui"),
            "UI tests green",
            _MOBILE_ENTITIES,
            "Write UI tests for the {entity} flow",
            "Add snapshot tests for the {entity} screen",
        ),
    ),
    subgoals=("build ui", "wire data", "write tests", "ship build"),
)
