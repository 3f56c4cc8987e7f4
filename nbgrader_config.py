"""nbgrader configuration of the course (read by every nbgrader command run in this folder).

The instructor notebooks live in solutions/<assignment>/ (nbgrader's source
directory); `make release` writes the student versions to exercises/<assignment>/
(its release directory). Submissions, autograded copies, feedback and the
gradebook are working state of the instructor's machine and are not committed.
See solutions/README.md for the workflow.
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader's configuration loader

# ---- where things are -------------------------------------------------------------------
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.py", "README.md"]

# ---- executing notebooks (autograde, validate) ------------------------------------------
# Every cell gets at most this long; a cell that runs longer (an infinite loop) is
# interrupted and recorded as an error, and grading goes on with the next cell.
c.ExecutePreprocessor.timeout = 60
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# Test cells deleted by a student are put back (from the gradebook) before grading;
# edited ones are overwritten by nbgrader in any case.
c.OverwriteCells.add_missing_cells = True

# ---- collecting LMS downloads (python -m course_lib.grading collect) ------------------------
# A downloaded file is <student_id>_<notebook>.ipynb or <student_id>_<anything>_<notebook>.ipynb
# (e.g. Canvas's alice_12345_67890_ch1-mnist.ipynb), alone or inside .zip archives. The
# student id has no underscore; <notebook> must be the released notebook's name.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[A-Za-z0-9.\-]+)_(?:[^/]*_)?(?P<file_id>[^/_]+\.ipynb)$"
)
c.ZipCollectApp.strict = True
