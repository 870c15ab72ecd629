/** track_file / vrrp_track_process configurations and the `keepalived -t` exit status 2.2.7 gives them. */

/** An instance on interface `IF` around `inner`, after the top-level `blocks`. */
export function trackConf(blocks: string, inner = '', group = ''): string {
  const second = group
    ? 'vrrp_instance VI_2 {\n    interface IF\n    virtual_router_id 52\n    virtual_ipaddress {\n        192.0.2.2\n    }\n}\n'
    : '';
  return `${blocks}${second}
vrrp_instance VI_1 {
    interface IF
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.1
    }
${inner}}
${group}`;
}

const TF = 'track_file tf {\n    file /tmp/lvs-track-tf\n    weight -10\n}\n';
const TP = 'vrrp_track_process tp {\n    process nginx\n}\n';
const GROUP = (inner: string) =>
  `vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n${inner}}\n`;

/**
 * name → [config, keepalived -t exit status]; 139: keepalived 2.2.7 segfaults or spins forever
 * there (seen both ways), lvsd reports the error keepalived meant to report (exit 5).
 */
export const TRACK_CASES: Record<string, [string, number]> = {
  'a track_file used plainly': [trackConf(TF, '    track_file {\n        tf\n    }\n'), 0],
  'weight and reverse on the reference': [
    trackConf(TF, '    track_file {\n        tf weight 2 reverse\n    }\n'),
    0,
  ],
  'noreverse on the reference': [
    trackConf(TF, '    track_file {\n        tf weight 2 noreverse\n    }\n'),
    0,
  ],
  'deprecated vrrp_track_file': [
    trackConf(TF.replace('track_file tf', 'vrrp_track_file tf'), '    track_file {\n        tf\n    }\n'),
    0,
  ],
  'init_file with value and overwrite': [
    trackConf('track_file tf {\n    file /tmp/lvs-track-tf\n    init_file 3 overwrite\n}\n'),
    0,
  ],
  'init_file outside the sensible range': [
    trackConf('track_file tf {\n    file /tmp/lvs-track-tf\n    init_file 300\n}\n'),
    5,
  ],
  'init_file with an unknown option': [
    trackConf('track_file tf {\n    file /tmp/lvs-track-tf\n    init_file maybe\n}\n'),
    5,
  ],
  'track_file without a file': [trackConf('track_file tf {\n    weight 2\n}\n'), 5],
  'track_file weight out of range': [trackConf('track_file tf {\n    file /x\n    weight 255\n}\n'), 5],
  'track_file weight with a bad option': [
    trackConf('track_file tf {\n    file /x\n    weight 2 sideways\n}\n'),
    5,
  ],
  'a second file line': [trackConf('track_file tf {\n    file /x\n    file /y\n}\n'), 5],
  'reference weight without a value': [trackConf(TF, '    track_file {\n        tf weight\n    }\n'), 5],
  'reference weight out of range': [trackConf(TF, '    track_file {\n        tf weight -255\n    }\n'), 5],
  'reference with an unknown option': [trackConf(TF, '    track_file {\n        tf wait 2\n    }\n'), 5],
  'duplicate reference': [trackConf(TF, '    track_file {\n        tf\n        tf\n    }\n'), 5],
  'an unknown track_file name (keepalived 2.2.7 crashes or hangs)': [
    trackConf(TF, '    track_file {\n        nope\n    }\n'),
    139,
  ],
  'a track_file defined after the instance that uses it': [
    `${trackConf('', '    track_file {\n        tf\n    }\n')}${TF}`,
    5,
  ],
  'a sync group member with a default-weight file': [
    trackConf('track_file tf {\n    file /x\n}\n', '    track_file {\n        tf\n    }\n', GROUP('')),
    5,
  ],
  'a sync group member with an explicit weight 0 file': [
    trackConf(
      'track_file tf {\n    file /x\n}\n',
      '    track_file {\n        tf weight 0\n    }\n',
      GROUP(''),
    ),
    0,
  ],
  "a sync group's own weighted track_file": [
    trackConf(TF, '', GROUP('    track_file {\n        tf weight 3\n    }\n')),
    0,
  ],
  'a track_process used plainly': [trackConf(TP, '    track_process {\n        tp weight 10\n    }\n'), 0],
  'a full track_process block': [
    trackConf(
      'vrrp_track_process tp {\n    process sleep 100\n    param_match partial\n    weight 5 reverse\n    quorum 2\n    quorum_max 3\n    delay 0.5\n    fork_delay 1\n    full_command\n}\n',
      '    track_process {\n        tp weight -3 noreverse\n    }\n',
    ),
    0,
  ],
  'track_process without a process': [trackConf('vrrp_track_process tp {\n    weight 2\n}\n'), 5],
  'track_process quorum above quorum_max': [
    trackConf('vrrp_track_process tp {\n    process x\n    quorum_max 2\n    quorum 3\n}\n'),
    5,
  ],
  'track_process quorum_max 0': [
    trackConf('vrrp_track_process tp {\n    process x\n    quorum_max 0\n}\n'),
    0,
  ],
  'track_process bad param_match': [
    trackConf('vrrp_track_process tp {\n    process x\n    param_match most\n}\n'),
    5,
  ],
  'track_process delay out of range': [
    trackConf('vrrp_track_process tp {\n    process x\n    delay 4000\n}\n'),
    5,
  ],
  'track_process weight twice': [
    trackConf('vrrp_track_process tp {\n    process x\n    weight 2\n    weight 3\n}\n'),
    5,
  ],
  'an unknown track_process name': [trackConf(TP, '    track_process {\n        nope\n    }\n'), 5],
  'a track_process reference with a bad direction': [
    trackConf(TP, '    track_process {\n        tp weight 2 up\n    }\n'),
    5,
  ],
  "a sync group's own track_process": [
    trackConf(TP, '', GROUP('    track_process {\n        tp weight 4\n    }\n')),
    0,
  ],
};
