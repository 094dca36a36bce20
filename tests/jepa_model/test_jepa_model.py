"""Layout JEPA model: shapes, what the encoders can see, the EMA, the losses, learning on a
fixed batch, the image branch (checkpoints and configs: ``test_jepa_checkpoint``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from benchmark.core.tasks import KINDS
from jepa_model.checkpoint import (
    load_checkpoint,
    save_checkpoint,
)
from jepa_model.config import (
    Config,
    ConfigError,
    ImageConfig,
    ModelConfig,
)
from jepa_model.masks import patches_covering, sample_block_masks
from jepa_model.model import JEPA, momentum_schedule
from jepa_model.structure import N_FAMILIES, N_RELATION_TYPES, PLACE_DIM

torch.set_num_threads(1)

SMALL = ModelConfig(text_dim=24, d_model=32, depth=2, heads=4, predictor_dim=16,
                    predictor_depth=1, predictor_heads=2)


def make_batch(b: int = 4, n: int = 6, e: int = 24, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random scenes in the collator's format: scene i has 3..n objects, some given, and at
    least one masked object."""
    g = torch.Generator().manual_seed(seed)
    counts = torch.randint(3, n + 1, (b,), generator=g)
    valid = torch.arange(n)[None, :] < counts[:, None]
    given = valid & (torch.rand(b, n, generator=g) < 0.3)
    given[:, 0] = True  # scene object 0 is always given, object 1 never
    given[:, 1] = False
    mask = valid & ~given & (torch.rand(b, n, generator=g) < 0.7)
    mask[:, 1] = True
    center = torch.rand(b, n, 2, generator=g) * 1.8 - 0.9
    size = torch.rand(b, n, 2, generator=g) * 0.4 + 0.05
    return {
        "kind": torch.randint(0, len(KINDS), (b, n), generator=g),
        "content": torch.randn(b, n, e, generator=g),
        "size": size,
        "size_known": torch.rand(b, n, generator=g) < 0.7,
        "box": torch.cat([center, size], dim=-1),
        "valid": valid,
        "given": given,
        "mask": mask,
        "prompt": torch.randn(b, e, generator=g),
        "place": (torch.rand(b, n, PLACE_DIM, generator=g) < 0.1).float(),
        "rel": torch.randint(0, N_RELATION_TYPES, (b, n, n), generator=g)
        * (torch.rand(b, n, n, generator=g) < 0.3),
        "family": torch.randint(0, N_FAMILIES, (b,), generator=g),
    }


def small_model(objective: str = "jepa", seed: int = 0, **changes: object) -> JEPA:
    torch.manual_seed(seed)
    return JEPA(dataclasses.replace(SMALL, objective=objective, **changes))


def context_out(model: JEPA, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return model.context_encoder(batch, hide=batch["mask"] & batch["valid"], context=True).h


def target_out(model: JEPA, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    assert model.target_encoder is not None
    return model.target_encoder(batch, hide=torch.zeros_like(batch["mask"]), context=False).h


# ---- forward ---------------------------------------------------------------------------------

@pytest.mark.parametrize("objective", ["jepa", "supervised"])
def test_forward_returns_losses_and_predictions_of_the_batch_shape(objective: str) -> None:
    batch = make_batch(b=3, n=5)
    out = small_model(objective)(batch)
    assert out["pred_box"].shape == (3, 5, 4)
    assert out["kind_logits"].shape == (3, 5, len(KINDS))
    for key in ("loss", "loss_latent", "loss_box", "loss_kind"):
        assert out[key].shape == () and torch.isfinite(out[key])
    assert (out["loss_latent"] > 0) == (objective == "jepa")
    assert small_model(objective).predict(batch).shape == (3, 5, 4)


def test_predicted_boxes_stay_in_the_normalised_ranges() -> None:
    box = small_model()(make_batch())["pred_box"]
    assert box[..., :2].abs().max() < 1.25 and (box[..., 2:] > 0).all()


def test_predict_keeps_given_boxes_and_zeroes_padding() -> None:
    batch = make_batch()
    del batch["mask"]  # inference: every non-given object is placed
    pred = small_model().predict(batch)
    given, valid = batch["given"], batch["valid"]
    assert torch.equal(pred[given], batch["box"][given])
    assert (pred[~valid] == 0).all()


# ---- what enters the loss, and what each encoder sees -------------------------------------------

@pytest.mark.parametrize("objective", ["jepa", "supervised"])
def test_padding_never_changes_the_loss(objective: str) -> None:
    model = small_model(objective)
    batch = make_batch()
    changed = {k: v.clone() for k, v in batch.items()}
    pad = ~batch["valid"]
    assert pad.any()
    changed["box"][pad] = float("nan")
    changed["content"][pad] = 100.0
    changed["kind"][pad] = -1
    changed["size"][pad] = 7.0
    changed["size_known"][pad] = True
    changed["mask"][pad] = True  # mask outside valid must be ignored too
    assert torch.equal(model(batch)["loss"], model(changed)["loss"])


def test_only_masked_objects_receive_loss_gradient() -> None:
    batch = make_batch()
    out = small_model()(batch)
    for key in ("pred_box", "kind_logits", "latent"):
        out[key].retain_grad()
    out["loss"].backward()
    outside = ~(batch["mask"] & batch["valid"])  # given, unmasked context and padding
    for key in ("pred_box", "kind_logits", "latent"):
        grad = out[key].grad
        assert grad is not None and (grad[outside] == 0).all() and grad[~outside].abs().sum() > 0


def test_context_encoder_cannot_see_masked_positions_but_target_encoder_can() -> None:
    model = small_model()
    batch = make_batch()
    moved = {k: v.clone() for k, v in batch.items()}
    moved["box"][batch["mask"]] += 0.3
    with torch.no_grad():
        assert torch.equal(context_out(model, batch), context_out(model, moved))
        assert not torch.equal(target_out(model, batch), target_out(model, moved))
    moved["box"][batch["mask"]] = float("nan")  # unplaced objects' boxes may be garbage
    assert torch.equal(model.predict(batch), model.predict(moved))


# ---- EMA ---------------------------------------------------------------------------------------

def test_ema_update_moves_target_by_the_momentum_formula() -> None:
    model = small_model()
    assert model.target_encoder is not None
    with torch.no_grad():
        for p in model.context_encoder.parameters():
            p.add_(torch.randn_like(p))
    before = [p.clone() for p in model.target_encoder.parameters()]
    source = [p.clone() for p in model.context_encoder.parameters()]
    model.ema_update(0.9)
    for t, t0, c in zip(model.target_encoder.parameters(), before, source, strict=True):
        torch.testing.assert_close(t, 0.9 * t0 + 0.1 * c, rtol=0, atol=1e-6)
    after = [p.clone() for p in model.target_encoder.parameters()]
    model.ema_update(1.0)
    assert all(torch.equal(a, p) for a, p in zip(after, model.target_encoder.parameters(),
                                                   strict=True))


def test_target_encoder_never_receives_gradients() -> None:
    model = small_model()
    assert model.target_encoder is not None
    model(make_batch())["loss"].backward()
    assert all(not p.requires_grad and p.grad is None for p in model.target_encoder.parameters())
    assert all(p.grad is not None for p in model.context_encoder.parameters())
    assert model.train().target_encoder.training is False


def test_supervised_objective_has_no_target_encoder() -> None:
    model = small_model("supervised")
    assert model.target_encoder is None
    model.ema_update(0.5)  # a no-op, so one training loop serves both objectives


def test_momentum_schedule_rises_linearly_to_the_end_value() -> None:
    assert momentum_schedule(0, 100) == 0.996
    assert momentum_schedule(50, 100) == pytest.approx(0.998)
    assert momentum_schedule(100, 100) == 1.0
    assert momentum_schedule(500, 100) == 1.0
    assert momentum_schedule(10, 0, 0.9, 0.99) == 0.99


# ---- learning ----------------------------------------------------------------------------------

@pytest.mark.parametrize("objective", ["jepa", "supervised"])
def test_a_few_adam_steps_on_a_fixed_batch_reduce_the_loss(objective: str) -> None:
    model = small_model(objective)
    batch = make_batch(b=8)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    losses = []
    for step in range(40):
        loss = model(batch)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.ema_update(momentum_schedule(step, 40))
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


# ---- image branch ------------------------------------------------------------------------------

VIT = ImageConfig(kind="ijepa_vit", image_height=32, image_width=48, patch_size=8, dim=16,
                  depth=1, heads=2, n_pred_blocks=3)


def test_block_masks_have_the_configured_shapes() -> None:
    gen = torch.Generator().manual_seed(0)
    gh, gw = VIT.grid
    for _ in range(20):
        masks = sample_block_masks(VIT, gen)
        assert masks.context.shape == (gh, gw)
        assert masks.targets.shape == (VIT.n_pred_blocks, gh, gw)
        assert not (masks.context & masks.targets.any(0)).any()
        assert int(masks.context.sum()) >= VIT.min_keep
        for block in masks.targets:
            rows, cols = block.any(1).sum().item(), block.any(0).sum().item()
            assert block.sum() == rows * cols  # a rectangle
            lo, hi = VIT.pred_scale
            assert lo * gh * gw / 2 <= rows * cols <= hi * gh * gw * 2


def test_patches_covering_marks_the_patches_under_a_box() -> None:
    cover = patches_covering(torch.tensor([[-0.5, 0.5, 0.25, 0.25]]), (4, 8))
    assert cover.sum() == 4 and cover[0:2, 1:3].all()  # in the top-left quadrant


def _vit_batch(model_cfg: ModelConfig) -> dict[str, torch.Tensor]:
    batch = make_batch(b=2)
    gen = torch.Generator().manual_seed(1)
    assert model_cfg.image is not None
    masks = [sample_block_masks(model_cfg.image, gen).flat() for _ in range(2)]
    batch["image"] = torch.randn(2, 3, VIT.image_height, VIT.image_width, generator=gen)
    batch["image_ctx"] = torch.stack([m[0] for m in masks])
    batch["image_tgt"] = torch.stack([m[1] for m in masks])
    return batch


def test_vit_branch_trains_and_hides_patches_outside_the_context() -> None:
    model = small_model(image=VIT)
    assert model.cfg.image is not None
    batch = _vit_batch(model.cfg)
    out = model(batch)
    assert torch.isfinite(out["loss_image"]) and out["loss_image"] > 0
    out["loss"].backward()
    hidden = ~batch["image_ctx"][0].view(VIT.grid)
    changed = {k: v.clone() for k, v in batch.items()}
    pixels = hidden.repeat_interleave(8, 0).repeat_interleave(8, 1)
    changed["image"][0][:, pixels] += 1.0
    with torch.no_grad():
        assert torch.equal(context_out(model, batch), context_out(model, changed))
        assert not torch.equal(target_out(model, batch), target_out(model, changed))


def _tiny_clip(where: Path) -> Path:
    from benchmark.core.compat import ensure_torchvision

    ensure_torchvision()
    from transformers import CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    cfg = CLIPVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                           num_attention_heads=2, image_size=32, patch_size=16,
                           projection_dim=16)
    CLIPVisionModel(cfg).save_pretrained(where)
    return where


def test_clip_branch_loads_a_local_model_and_trains_around_it(tmp_path: Path) -> None:
    image = ImageConfig(kind="clip", clip_path=str(_tiny_clip(tmp_path / "clip")))
    model = small_model(image=image)
    batch = make_batch(b=2)
    batch["image"] = torch.randn(2, 3, 32, 32)
    batch["image_context"] = torch.randn(2, 3, 32, 32)
    out = model(batch)
    out["loss"].backward()
    branch = model.context_encoder.image
    assert branch is not None
    assert all(p.grad is None for p in branch.vision.parameters())  # frozen tower
    assert branch.to_token.weight.grad is not None
    config = Config(model=model.cfg)
    loaded, _, _ = load_checkpoint(save_checkpoint(tmp_path / "ckpt", model, config, step=1))
    assert torch.equal(model.eval().predict(batch), loaded.predict(batch))


def test_clip_branch_names_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-clip-here"
    with pytest.raises(ConfigError) as info:
        small_model(image=ImageConfig(kind="clip", clip_path=str(missing)))
    assert str(missing) in str(info.value) and "\n" not in str(info.value)
    (_tiny_clip(tmp_path / "weights") / "model.safetensors").rename(tmp_path / "moved")
    with pytest.raises(ConfigError) as info:
        small_model(image=ImageConfig(kind="clip", clip_path=str(tmp_path / "weights")))
    assert "cannot load CLIP vision weights" in str(info.value) and "\n" not in str(info.value)
