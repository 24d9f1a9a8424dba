import { Option } from 'commander';

/** `--config FILE`, which every command reading the service settings takes (commander wants one Option per command). */
export function settingsFileOption(): Option {
  return new Option('--config <file>', 'settings YAML file (default: KUBEDISPATCH_CONFIG)');
}
