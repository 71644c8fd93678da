#!/usr/bin/env python3
"""tests/testbed/parse.py: read test-bed console and QEMU trace logs.

  parse.py verdict CONSOLE       exit 0 pass, 77 pass with skipped checks, 1 fail (prints a summary)
  parse.py results CONSOLE       TB-RESULT lines as a JSON list of {key: value}
  parse.py trace TRACE           count VT-d invalidation events per marker section as JSON:
                                 {"sections": {"<label>": {"vtd_inv_desc_iotlb_pages": n, ...}}}
Markers: the guest writes byte 0x3c (PCI "interrupt line", a scratch register) of 00:00.0;
QEMU's pci_cfg_write trace then shows "@0x3c <- 0xNN" and the section index is NN - 0x40
(see guest helper tb_mark in scenarios/*.sh)."""
import json
import re
import sys


def kv(text):
    out = {}
    for m in re.finditer(r'(\w[\w.-]*)=("[^"]*"|\S*)', text):
        v = m.group(2).strip('"')
        try:
            v = int(v)
        except ValueError:
            try:
                v = float(v)
            except ValueError:
                pass
        out[m.group(1)] = v
    return out


def verdict(path):
    try:
        lines = open(path, errors='replace').read().splitlines()
    except FileNotFoundError:
        print("testbed: no console log"); return 1
    checks = {"ok": [], "fail": [], "skip": []}
    passed = failed = None
    end = host = None
    for ln in lines:
        m = re.match(r'.*?TB-CHECK (ok|fail|skip) (\S+) ?(.*)', ln)
        if m:
            checks[m.group(1)].append((m.group(2), m.group(3)))
        elif 'TB-PASS' in ln:
            passed = ln
        elif 'TB-FAIL' in ln:
            failed = ln[ln.index('TB-FAIL'):]
        elif 'TB-END' in ln:
            end = ln
        elif ln.startswith('TB-HOST'):
            host = kv(ln)
        elif 'Kernel panic' in ln and failed is None:
            failed = 'TB-FAIL kernel panic: ' + ln
    print(f"testbed: {len(checks['ok'])} ok, {len(checks['fail'])} failed, {len(checks['skip'])} skipped"
          + (f", {host.get('seconds')} s" if host else ""))
    for n, d in checks['fail']:
        print(f"  FAIL {n} {d}")
    for n, d in checks['skip']:
        print(f"  SKIP {n} {d}")
    if failed or checks['fail']:
        print(failed or "TB-FAIL (checks failed)")
        return 1
    if not passed:
        if host and host.get('qemu_rc') == 124:
            print("TB-FAIL timeout: the guest did not finish")
        else:
            print("TB-FAIL no verdict on the console" + ("" if end else " (no TB-END)"))
        return 1
    if checks['skip']:
        print("testbed: the checks above were SKIPPED (not passed)")
        return 77
    return 0


def results(path):
    out = []
    for ln in open(path, errors='replace'):
        i = ln.find('TB-RESULT ')
        if i >= 0:
            out.append(kv(ln[i + 10:]))
    json.dump(out, sys.stdout)
    print()
    return 0


EVENTS = ('vtd_inv_desc_iotlb_pages', 'vtd_inv_desc_iotlb_domain', 'vtd_inv_desc_iotlb_global',
          'vtd_inv_desc_cc_domain', 'vtd_inv_desc_cc_global', 'vtd_inv_desc_cc_device',
          'vtd_inv_desc_wait_sw', 'vtd_inv_desc_wait_irq', 'vtd_dmar_fault', 'vtd_fault_disabled')


def trace(path):
    sections = {}
    cur = "pre"
    mark = re.compile(r'pci_cfg_write \S+ 00:00\.0 @0x3c <- 0x([0-9a-f]+)')
    for ln in open(path, errors='replace'):
        m = mark.search(ln)
        if m:
            v = int(m.group(1), 16)
            if v >= 0x40:
                cur = str(v - 0x40)
            continue
        for e in EVENTS:
            if re.search(r'\b' + e + r'\b', ln):
                s = sections.setdefault(cur, {})
                s[e] = s.get(e, 0) + 1
                if e == 'vtd_dmar_fault':
                    s.setdefault('faults', []).append(ln.strip()[-160:])
                break
    json.dump({"sections": sections}, sys.stdout)
    print()
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] not in ('verdict', 'results', 'trace'):
        print(__doc__); sys.exit(2)
    sys.exit({'verdict': verdict, 'results': results, 'trace': trace}[sys.argv[1]](sys.argv[2]))
