"""Interpreter start-up switch (imported by costguard_runtime.pth only when COSTGUARD_RUNTIME is set)."""
