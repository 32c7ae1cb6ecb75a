"""The caregiver's routine: its settings as frozen types, and how the file is read and edited.

``settings`` holds the frozen types and reads a routine over the packaged defaults (re-exported
here, so callers write ``routine.load(path)`` and ``routine.Routine``); ``schema`` says what each
setting allows; ``lines`` finds a setting's line for messages; ``descriptions`` explains each
setting and writes the commented file; ``edit`` changes the file keeping its comments;
``carer_input`` tidies what a carer types for a setting.
"""

from companion.routine.schema import SCHEMA as SCHEMA
from companion.routine.schema import check_whole as check_whole
from companion.routine.schema import validate as validate
from companion.routine.settings import DEFAULTS_FILE as DEFAULTS_FILE
from companion.routine.settings import ExerciseSettings as ExerciseSettings
from companion.routine.settings import Hand as Hand
from companion.routine.settings import Inputs as Inputs
from companion.routine.settings import Listening as Listening
from companion.routine.settings import Progression as Progression
from companion.routine.settings import Reminders as Reminders
from companion.routine.settings import Routine as Routine
from companion.routine.settings import Safety as Safety
from companion.routine.settings import Speech as Speech
from companion.routine.settings import UserWords as UserWords
from companion.routine.settings import default as default
from companion.routine.settings import defaults_data as defaults_data
from companion.routine.settings import from_text as from_text
from companion.routine.settings import load as load
from companion.routine.settings import merge as merge
