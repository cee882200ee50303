"""A featurizer built on the meta device (what ``restore_from`` does) computes no filterbank and imports no librosa:
the archive's weights bring the filterbank, or ``reset_buffers`` computes it afterwards."""

import subprocess
import sys


def test_a_meta_device_build_imports_no_librosa():
    code = (
        "import sys, torch; from nemo.collections.common.parts.filterbank_features import FilterbankFeatures\n"
        "with torch.device('meta'):\n"
        "    feat = FilterbankFeatures(nfilt=40, n_fft=512)\n"
        "print(feat.fb.is_meta, tuple(feat.fb.shape), 'librosa' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "(1,", "40,", "257)", "False"]
