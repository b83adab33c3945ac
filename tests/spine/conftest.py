import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import user_rewards  # noqa: E402,F401  (registers the test rewards)
