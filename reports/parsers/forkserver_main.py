"""Imported first by the parse forkserver (`budget`): it loads the parent's main module there once, so
the parse processes forked from it do not each run it again.

multiprocessing runs the parent's main script again in every process it starts, unless the process
it forks from has loaded it already. CPython 3.11's forkserver never does: its `__main__` preload
needs a main path that it is not given. For a `dwatch` command the main script is the whole CLI,
over a second of imports for every document parsed. The parent names its main script in
`budget.MAIN_PATH_ENV` before the forkserver starts. Only the forkserver imports this module.
"""

import os
from multiprocessing import spawn

from dwatch.reports.parsers.budget import MAIN_PATH_ENV

_main_path = os.environ.get(MAIN_PATH_ENV)
if _main_path:
    spawn.import_main_path(_main_path)
