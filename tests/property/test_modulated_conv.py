"""The fast modulated convolution (modulate the input, demodulate the output) against the grouped-conv reference
(every sample's weight built literally), over shapes, batch sizes, kernel sizes, up-sampling and demodulation."""
import torch
from hypothesis import given
from hypothesis import strategies as st

from ilo_solver.generators.stylegan2 import ModulatedConv2d


@given(B=st.integers(1, 3), cin=st.integers(1, 6), cout=st.integers(1, 5), k=st.sampled_from([1, 3]),
       upsample=st.booleans(), demod=st.booleans(), H=st.integers(3, 9), W=st.integers(3, 9),
       style_scale=st.sampled_from([1e-3, 1.0, 30.0]), seed=st.integers(0, 2 ** 31 - 1))
def test_fast_modulated_conv_equals_the_grouped_reference(B, cin, cout, k, upsample, demod, H, W, style_scale, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)   # parameter init of the test layer
        conv = ModulatedConv2d(cin, cout, k, 4, demodulate=demod, upsample=upsample).double().requires_grad_(False)
    x = torch.randn(B, cin, H, W, generator=g, dtype=torch.float64)
    s = style_scale * torch.randn(B, 4, generator=g, dtype=torch.float64)
    a, b = conv(x, s, "fast"), conv(x, s, "ref")
    assert a.shape == b.shape == (B, cout, 2 * H if upsample else H, 2 * W if upsample else W)
    assert torch.allclose(a, b, rtol=1e-9, atol=1e-10 * max(1.0, float(b.abs().max())))
