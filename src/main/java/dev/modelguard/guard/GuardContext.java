package dev.modelguard.guard;

import java.nio.file.Path;

/**
 * What a factory may need from the environment when it creates a guard.
 *
 * @param name the name the policy entry refers to (normally the factory's type)
 * @param baseDir directory against which relative file names in the guard's config are resolved
 *     (the policy file's directory)
 */
public record GuardContext(String name, Path baseDir) {}
