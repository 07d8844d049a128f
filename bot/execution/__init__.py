"""Orders from the portfolio's net intents, broker-side protective stops, order state."""

from bot.execution.engine import ExecutionConfig, ExecutionEngine, ExecutionOutput
from bot.execution.risk_gate import RiskGate

__all__ = ["ExecutionConfig", "ExecutionEngine", "ExecutionOutput", "RiskGate"]
