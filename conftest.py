"""pytest set-up for the whole repository (unit tests and nbval notebook runs).

Notebook kernels started by nbval inherit this process's environment, so setting the variables
here makes every executed notebook use the synthetic demo corpus and draw no audio players,
whatever real data happens to be on the machine.
"""

import os

os.environ["SER_DATA_SOURCE"] = "demo"
os.environ["SER_HEADLESS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
