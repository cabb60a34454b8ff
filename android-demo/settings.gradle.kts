// The gridpatrol Android demo: `:app` (Compose screens, CameraX, location service, WorkManager,
// Keystore) over `:shared` (the platform-neutral app layer, plain Kotlin, tested on the JVM by
// scripts/app-tests.sh in the gridpatrol repository).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "gridpatrol-android-demo"
include(":shared", ":app")
