package io.brook.launcher;

import picocli.CommandLine.IVersionProvider;

/** Reads the version Maven wrote into the jar manifest. */
final class BrookVersion implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Brook.class.getPackage().getImplementationVersion();
    return new String[] {"brook " + (v == null ? "(development build)" : v)};
  }
}
