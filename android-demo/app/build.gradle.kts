// The demo app: Compose screens over :shared, with the Android services behind its interfaces.
// The native library comes from scripts/build-android.sh (cargo ndk, one .so per ABI into
// src/main/jniLibs); the Kotlin bindings it generates go into shared/src/generated/kotlin.
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "cn.gridpatrol.demo"
    compileSdk = 35

    defaultConfig {
        applicationId = "cn.gridpatrol.demo"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        ndk {
            // Exactly the ABIs scripts/build-android.sh builds.
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
        // The platform the demo syncs to; `gridpatrol serve` on the developer's machine as
        // the emulator sees it.
        buildConfigField("String", "PLATFORM_URL", "\"http://10.0.2.2:8080\"")
        // Comma-separated `sha256/<base64>` SPKI pins of the platform (its key and a backup);
        // empty here: the local demo platform has no TLS. A city build sets its own.
        buildConfigField("String", "PLATFORM_TLS_PINS", "\"\"")
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }
    buildFeatures {
        compose = true
        buildConfig = true
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
}

dependencies {
    implementation(project(":shared"))
    implementation("${libs.jna.get()}@aar")
    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.service)
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.material3)
    implementation(libs.compose.ui.tooling.preview)
    implementation(libs.camerax.core)
    implementation(libs.camerax.camera2)
    implementation(libs.camerax.lifecycle)
    implementation(libs.camerax.view)
    implementation(libs.work.runtime.ktx)
}
