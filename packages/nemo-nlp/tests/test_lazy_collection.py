import subprocess
import sys


def test_importing_the_collection_is_light():
    code = (
        "import sys, nemo.collections.nlp as nlp; assert 'pytorch_lightning' not in sys.modules; "
        "assert 'nemo.collections.nlp.models.text_classification' not in sys.modules; "
        "from nemo.collections.nlp.modules import SequenceClassifier, get_lm_model; "
        "assert 'pytorch_lightning' not in sys.modules; "
        "assert 'TextClassificationModel' in dir(nlp.models); print('ok')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
