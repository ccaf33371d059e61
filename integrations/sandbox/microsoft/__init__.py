"""The Microsoft emulator: Entra ID (device flow, tokens) and Graph v1.0 mail and calendar."""

from .emulator import MicrosoftEmulator
from .graph import GraphSettings
from .graph_delta import DeltaSettings
from .identity import IdentitySettings

__all__ = ["DeltaSettings", "GraphSettings", "IdentitySettings", "MicrosoftEmulator"]
