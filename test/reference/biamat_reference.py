#!/usr/bin/env python3
"""An independent PyTorch transcription of what BiaMAT's released code computes, written from
docs/method.md (not from the released code), for the differential tests (test/differential-*).

    /usr/bin/python3 test/reference/biamat_reference.py <case dir>

The case dir holds request.json (the task and its settings), the model's weights in the
project's weight format (model.json + model.bin: raw little-endian float32, tfjs layouts) and
input tensors as raw little-endian files listed in request.json. The answer goes to
response.json and more raw tensors beside it. Nothing here uses pickle: every file is raw
numbers or JSON.

Tasks:
  forward      logits of both heads in eval mode, in train mode, and the BN running averages
               after one train-mode forward that updates them
  at-step      one AT+BiaMAT training step (method.md §1.1-§1.3, released AT rules of §3)
  trades-step  one TRADES+BiaMAT training step (§1.4, §1.5 for CIFAR-100 primary)
  eval         PGD-k / CW-k evaluation in eval mode (§3)
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
BN_MOMENTUM = 0.1  # PyTorch's parametrisation; TensorFlow's decay 0.9
BN_EPS = 1e-5


# ----------------------------------------------------------------------------- files

def read_tensor(case, spec):
    dtype = {'float32': '<f4', 'int32': '<i4'}[spec['dtype']]
    data = np.fromfile(os.path.join(case, spec['file']), dtype=dtype)
    return torch.from_numpy(data.reshape(spec['shape']).copy())


def write_tensor(case, name, t, out):
    arr = t.detach().cpu().numpy()
    dtype = 'int32' if arr.dtype.kind in 'iu' else 'float32'
    arr = arr.astype('<i4' if dtype == 'int32' else '<f4')
    file = f'out-{name}.bin'
    arr.tofile(os.path.join(case, file))
    out[name] = {'file': file, 'shape': list(arr.shape), 'dtype': dtype}


def read_weights(case, base):
    manifest = json.load(open(os.path.join(case, base + '.json')))
    raw = open(os.path.join(case, manifest['weightsFile']), 'rb').read()
    params, state, kinds = {}, {}, {}
    for v in manifest['variables']:
        a = np.frombuffer(raw, '<f4', count=v['byteLength'] // 4, offset=v['byteOffset']).reshape(v['shape'])
        t = torch.from_numpy(a.copy())
        name = v['name']
        if name.endswith('running_mean') or name.endswith('running_var'):
            state[name] = t
            continue
        if t.dim() == 4:  # conv kernel [kh, kw, in, out] -> [out, in, kh, kw]
            t, kinds[name] = t.permute(3, 2, 0, 1).contiguous(), 'kernel'
        elif t.dim() == 2:  # dense kernel [in, out] -> [out, in]
            t, kinds[name] = t.t().contiguous(), 'kernel'
        else:
            kinds[name] = 'bias' if name.startswith('fc') else 'bn'
        params[name] = t.requires_grad_(True)
    return manifest, params, state, kinds


def to_tfjs_layout(name, t):
    if t.dim() == 4:
        return t.permute(2, 3, 1, 0)
    if t.dim() == 2:
        return t.t()
    return t


# ----------------------------------------------------------------------------- layers

def conv(x, w, stride, padding):
    """padding 'same': TensorFlow SAME (extra row/column at the bottom/right); an int: symmetric."""
    if padding == 'same':
        k = w.shape[-1]
        pads = []
        for size in (x.shape[3], x.shape[2]):  # width first, as F.pad wants
            out = math.ceil(size / stride)
            total = max((out - 1) * stride + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), w, stride=stride)
    return F.conv2d(x, w, stride=stride, padding=padding)


def batch_norm(x, P, S, name, train, update):
    gamma, beta = P[name + '.weight'], P[name + '.bias']
    rm, rv = S[name + '.running_mean'], S[name + '.running_var']
    if not train:
        return (x - rm[None, :, None, None]) / torch.sqrt(rv[None, :, None, None] + BN_EPS) * gamma[
            None, :, None, None
        ] + beta[None, :, None, None]
    mean = x.mean(dim=(0, 2, 3))
    var = x.var(dim=(0, 2, 3), unbiased=False)
    if update:
        n = x.shape[0] * x.shape[2] * x.shape[3]
        with torch.no_grad():
            S[name + '.running_mean'] = (1 - BN_MOMENTUM) * rm + BN_MOMENTUM * mean
            S[name + '.running_var'] = (1 - BN_MOMENTUM) * rv + BN_MOMENTUM * var * n / (n - 1)
    return (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + BN_EPS) * gamma[
        None, :, None, None
    ] + beta[None, :, None, None]


def heads(feat, P):
    primary = feat @ P['fc.weight'].t() + P['fc.bias']
    aux = feat @ P['fc_aux.weight'].t() + P['fc_aux.bias'] if 'fc_aux.weight' in P else None
    return primary, aux


def units_per_stage(depth):
    assert (depth - 4) % 6 == 0
    return (depth - 4) // 6


def at_network(P, S, spec, x, train, update):
    """The released AT network (method.md §3): per-image standardisation, leaky ReLU 0.1,
    pre-activation units, pooled zero-padded shortcuts, TensorFlow SAME padding."""
    lrelu = lambda t: F.leaky_relu(t, 0.1)
    n_pix = x.shape[1] * x.shape[2] * x.shape[3]
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    std = torch.sqrt(((x - mean) ** 2).mean(dim=(1, 2, 3), keepdim=True))
    h = (x - mean) / torch.clamp(std, min=1 / math.sqrt(n_pix))
    h = conv(h, P['init_conv.weight'], 1, 'same')
    k = spec['widen']
    widths = [16, 16 * k, 32 * k, 64 * k]
    for stage in range(3):
        for i in range(units_per_stage(spec['depth'])):
            name = f'unit_{stage + 1}_{i}'
            c_in = widths[stage] if i == 0 else widths[stage + 1]
            c_out = widths[stage + 1]
            stride = (1, 2, 2)[stage] if i == 0 else 1
            act = lrelu(batch_norm(h, P, S, name + '.bn1', train, update))
            short = act if (stage == 0 and i == 0) else h
            out = conv(act, P[name + '.conv1.weight'], stride, 'same')
            out = lrelu(batch_norm(out, P, S, name + '.bn2', train, update))
            out = conv(out, P[name + '.conv2.weight'], 1, 'same')
            if c_in != c_out:
                short = F.avg_pool2d(short, stride, stride) if stride > 1 else short
                p = (c_out - c_in) // 2
                short = F.pad(short, (0, 0, 0, 0, p, p))
            h = out + short
    h = lrelu(batch_norm(h, P, S, 'final_bn', train, update))
    return heads(h.mean(dim=(2, 3)), P)


def trades_wrn(P, S, spec, x, train, update):
    """The TRADES WRN: PyTorch padding, ReLU, 1×1 convolution shortcuts of the activated input."""
    k = spec['widen']
    widths = [16, 16 * k, 32 * k, 64 * k]
    h = conv(x, P['conv1.weight'], 1, 1)
    for g in range(3):
        for i in range(units_per_stage(spec['depth'])):
            name = f'block{g + 1}.layer.{i}'
            c_in = widths[g] if i == 0 else widths[g + 1]
            stride = 2 if (i == 0 and g > 0) else 1
            act = F.relu(batch_norm(h, P, S, name + '.bn1', train, update))
            out = conv(act, P[name + '.conv1.weight'], stride, 1)
            out = F.relu(batch_norm(out, P, S, name + '.bn2', train, update))
            out = conv(out, P[name + '.conv2.weight'], 1, 1)
            short = conv(act, P[name + '.convShortcut.weight'], stride, 0) if c_in != widths[g + 1] else h
            h = out + short
    h = F.relu(batch_norm(h, P, S, 'bn1', train, update))
    return heads(h.mean(dim=(2, 3)), P)


def network(spec):
    return at_network if spec['arch'] == 'at-wrn' else trades_wrn


# ----------------------------------------------------------------------------- losses

def ce_rows(logits, y):
    return -F.log_softmax(logits, dim=1).gather(1, y.long()[:, None])[:, 0]


def soft_ce_rows(logits, target):
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1)


def kl_rows(adv, clean):
    """KL(softmax(clean) ‖ softmax(adv)) per row: TRADES' KLDivLoss(log_softmax(adv), softmax(clean))."""
    p = F.softmax(clean, dim=1)
    return (p * (F.log_softmax(clean, dim=1) - F.log_softmax(adv, dim=1))).sum(dim=1)


def selection(forward, xa, tau, rule):
    """Low = primary confidence (eval mode, clean) below τ; the rest high (method.md §1.2)."""
    n = xa.shape[0]
    if rule == 'all-high':
        return torch.zeros(n, dtype=torch.bool)
    if rule == 'all-low':
        return torch.ones(n, dtype=torch.bool)
    with torch.no_grad():
        primary, _ = forward(xa, False, False)
        conf = F.softmax(primary, dim=1).max(dim=1).values
    return conf < tau


def project(x_adv, x, eps):
    return torch.clamp(torch.min(torch.max(x_adv, x - eps), x + eps), 0.0, 1.0)


def pgd(loss_fn, x, start, eps, step, steps):
    x_adv = start.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        (g,) = torch.autograd.grad(loss_fn(x_adv), x_adv)
        x_adv = project(x_adv.detach() + step * torch.sign(g), x, eps)
    return x_adv.detach()


def sgd_step(P, kinds, grads, lr, wd, decay_on):
    """First step of SGD with momentum (buffer = gradient): w ← w − lr·(g + wd·w) where it decays."""
    with torch.no_grad():
        for name, w in P.items():
            g = grads.get(name)
            if g is None:
                continue
            if wd != 0 and (decay_on == 'all' or kinds[name] == 'kernel'):
                g = g + wd * w
            w -= lr * g


# ----------------------------------------------------------------------------- tasks

def nchw(t):
    return t.permute(0, 3, 1, 2).contiguous()


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous()


def task_forward(req, P, S, spec, T, out, case):
    net = network(spec)
    x = nchw(T['x'])
    with torch.no_grad():
        for mode, train in (('eval', False), ('train', True)):
            primary, aux = net(P, S, spec, x, train, train)
            write_tensor(case, f'{mode}-primary', primary, out)
            if aux is not None:
                write_tensor(case, f'{mode}-aux', aux, out)


def step_inputs(req, P, S, spec, T):
    net = network(spec)
    forward = lambda xx, train, update: net(P, S, spec, xx, train, update)
    x, xa = nchw(T['x']), nchw(T['xAux'])
    y, ya = T['y'], T['yAux']
    low = selection(forward, xa, req['tau'], req['selection'])
    return forward, x, xa, y, ya, low


def task_at_step(req, P, S, spec, T, out, case, kinds):
    forward, x, xa, y, ya, low = step_inputs(req, P, S, spec, T)
    B, Ba, K = x.shape[0], xa.shape[0], req['numClasses']
    x_all = torch.cat([x, xa])
    u = torch.full((Ba, K), 1.0 / K)
    high = ~low

    def ce_terms(primary, aux):
        prim = ce_rows(primary[:B], y).sum()
        hi = ce_rows(aux[B:], ya)[high].sum() if high.any() else torch.zeros(())
        lo = soft_ce_rows(primary[B:], u)[low].sum() if low.any() else torch.zeros(())
        return prim, hi, lo

    def attack_loss(xx):
        # train-mode BN, running averages untouched; the plain sum of the three CE terms
        return sum(ce_terms(*forward(xx, True, False)))

    a = req['attack']
    start = project(x_all + nchw(T['noise']), x_all, a['eps'])
    x_adv = pgd(attack_loss, x_all, start, a['eps'], a['stepSize'], a['steps'])
    prim, hi, lo = ce_terms(*forward(x_adv, True, True))  # the training step moves the BN averages
    primary_loss = prim / B
    aux_loss = (hi + lo) / Ba
    total = primary_loss + req['alpha'] * aux_loss
    names = list(P.keys())
    grads = torch.autograd.grad(total, [P[n] for n in names], allow_unused=True)
    sgd_step(P, kinds, dict(zip(names, grads)), req['lr'], req['weightDecay'], req['weightDecayOn'])
    write_tensor(case, 'xAdv', nhwc(x_adv), out)
    write_tensor(case, 'losses', torch.stack([total, primary_loss, aux_loss]), out)
    write_tensor(case, 'low', low.to(torch.int32), out)


def task_trades_step(req, P, S, spec, T, out, case, kinds):
    forward, x, xa, y, ya, low = step_inputs(req, P, S, spec, T)
    B, Ba, K = x.shape[0], xa.shape[0], req['numClasses']
    beta, adv_ce_high = req['beta'], req['highLoss'] == 'adv-ce'
    x_all = torch.cat([x, xa])
    u = torch.full((Ba, K), 1.0 / K)
    high = ~low
    with torch.no_grad():
        clean_p, clean_a = forward(x_all, False, False)  # the attack's reference, eval mode

    def kl_terms(adv_p, adv_a, ref_p, ref_a):
        prim = kl_rows(adv_p[:B], ref_p[:B]).sum()
        lo = kl_rows(adv_p[B:], ref_p[B:])[low].sum() if low.any() else torch.zeros(())
        hi = torch.zeros(())
        if high.any() and not adv_ce_high:
            hi = kl_rows(adv_a[B:], ref_a[B:])[high].sum()
        return prim, lo, hi

    def attack_loss(xx):
        adv_p, adv_a = forward(xx, False, False)
        loss = sum(kl_terms(adv_p, adv_a, clean_p, clean_a))
        if adv_ce_high and high.any():  # CIFAR-100 primary: one joint attack (method.md §1.5)
            loss = loss + ce_rows(adv_a[B:], ya)[high].sum()
        return loss

    a = req['attack']
    start = x_all + nchw(T['noise'])  # x + 0.001·N(0, 1), not clipped before the first gradient
    x_adv = pgd(attack_loss, x_all, start, a['eps'], a['stepSize'], a['steps'])
    write_tensor(case, 'xAdv', nhwc(x_adv), out)
    # The first TRADES gradient is tiny (the KL at x + 0.001·N), so float rounding flips the sign of
    # a few of its components between frameworks: the update can be checked from a given batch.
    x_train = nchw(T['xAdvGiven']) if 'xAdvGiven' in T else x_adv
    # As TRADES' loss: the natural batch (CE), the adversarial batch, the natural batch again
    # (the KL's reference), all in train mode: BN's averages move three times.
    nat_p, nat_a = forward(x_all, True, True)
    adv_p, adv_a = forward(x_train, True, True)
    ref_p, ref_a = forward(x_all, True, True)
    kp, kl_lo, kl_hi = kl_terms(adv_p, adv_a, ref_p, ref_a)
    primary_loss = (ce_rows(nat_p[:B], y).sum() + beta * kp) / B
    n_sel = int(low.sum()) + int(high.sum())
    lo_ce = soft_ce_rows(nat_p[B:], u)[low].sum() if low.any() else torch.zeros(())
    if high.any():
        hi_ce = ce_rows((adv_a if adv_ce_high else nat_a)[B:], ya)[high].sum()
    else:
        hi_ce = torch.zeros(())
    aux_loss = (lo_ce + beta * kl_lo + hi_ce + beta * kl_hi) / n_sel if n_sel > 0 else torch.zeros(())
    total = primary_loss + req['alpha'] * aux_loss
    names = list(P.keys())
    grads = torch.autograd.grad(total, [P[n] for n in names], allow_unused=True)
    sgd_step(P, kinds, dict(zip(names, grads)), req['lr'], req['weightDecay'], req['weightDecayOn'])
    write_tensor(case, 'losses', torch.stack([total, primary_loss, aux_loss]), out)
    write_tensor(case, 'low', low.to(torch.int32), out)


def task_eval(req, P, S, spec, T, out, case):
    net = network(spec)
    x, y = nchw(T['x']), T['y']
    a = req['attack']

    def loss(xx):
        logits, _ = net(P, S, spec, xx, False, False)
        if a['loss'] == 'ce':
            return ce_rows(logits, y).sum()
        correct = logits.gather(1, y.long()[:, None])[:, 0]
        other = (logits - 1e9 * F.one_hot(y.long(), logits.shape[1])).max(dim=1).values
        return torch.clamp(other - correct, max=50.0).sum()

    start = project(x + nchw(T['noise']), x, a['eps']) if 'noise' in T else x
    x_adv = pgd(loss, x, start, a['eps'], a['stepSize'], a['steps'])
    with torch.no_grad():
        logits, _ = net(P, S, spec, x_adv, False, False)
    write_tensor(case, 'xAdv', nhwc(x_adv), out)
    write_tensor(case, 'correct', (logits.argmax(dim=1) == y.long()).to(torch.int32), out)


def main(case):
    req = json.load(open(os.path.join(case, 'request.json')))
    manifest, P, S, kinds = read_weights(case, req['model'])
    spec = {'arch': manifest['spec']['arch'], 'depth': manifest['spec']['depth'], 'widen': manifest['spec']['widen']}
    T = {k: read_tensor(case, v) for k, v in req['tensors'].items()}
    out = {}
    task = req['task']
    if task == 'forward':
        task_forward(req, P, S, spec, T, out, case)
    elif task == 'at-step':
        task_at_step(req, P, S, spec, T, out, case, kinds)
    elif task == 'trades-step':
        task_trades_step(req, P, S, spec, T, out, case, kinds)
    elif task == 'eval':
        task_eval(req, P, S, spec, T, out, case)
    else:
        raise SystemExit(f'unknown task {task}')
    for name, t in P.items():
        write_tensor(case, 'param-' + name, to_tfjs_layout(name, t), out)
    for name, t in S.items():
        write_tensor(case, 'state-' + name, t, out)
    json.dump({'tensors': out, 'torch': torch.__version__}, open(os.path.join(case, 'response.json'), 'w'))


if __name__ == '__main__':
    main(sys.argv[1])
