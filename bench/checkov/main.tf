# The staging stack (Pulumi.staging.yaml) written by hand as Terraform, for bench/speed.py: checkov
# scans this while `infra check` plans and checks the Pulumi program. Never applied.

provider "google" {
  project = "golden-path-staging"
  region  = "europe-west1"
}

resource "google_compute_network" "vpc" {
  name                    = "gp-staging-vpc"
  auto_create_subnetworks = false
}

resource "google_vpc_access_connector" "connector" {
  name          = "gp-staging-conn"
  region        = "europe-west1"
  network       = google_compute_network.vpc.name
  ip_cidr_range = "10.8.0.0/28"
  machine_type  = "e2-micro"
  min_instances = 2
  max_instances = 3
}

resource "google_sql_database_instance" "database" {
  name                = "gp-staging-pg"
  region              = "europe-west1"
  database_version    = "POSTGRES_16"
  deletion_protection = false

  settings {
    tier              = "db-custom-2-7680"
    availability_type = "ZONAL"

    backup_configuration {
      enabled                        = true
      start_time                     = "03:00"
      point_in_time_recovery_enabled = true
      transaction_log_retention_days = 7
    }

    ip_configuration {
      ipv4_enabled    = false
      private_network = google_compute_network.vpc.id
    }

    database_flags {
      name  = "max_connections"
      value = "200"
    }
  }
}

resource "google_redis_instance" "redis" {
  name                    = "gp-staging-redis"
  region                  = "europe-west1"
  tier                    = "BASIC"
  memory_size_gb          = 1
  redis_version           = "REDIS_7_2"
  connect_mode            = "PRIVATE_SERVICE_ACCESS"
  authorized_network      = google_compute_network.vpc.id
  auth_enabled            = false
  transit_encryption_mode = "DISABLED"
}

resource "google_service_account" "run" {
  account_id   = "run-api"
  display_name = "Cloud Run services of gp-staging"
}

locals {
  # Pulumi.staging.yaml's services; api also reads LOG_LEVEL and the STRIPE_API_KEY secret
  services = {
    api    = { image = "api:1.4.2", concurrency = 80, timeout = "60s", max_instances = 8 }
    web    = { image = "web:2.0.1", concurrency = 250, timeout = "3600s", max_instances = 3 }
    worker = { image = "worker:1.4.2", concurrency = 10, timeout = "900s", max_instances = 2 }
  }
}

resource "google_cloud_run_v2_service" "service" {
  for_each            = local.services
  name                = "gp-staging-${each.key}"
  location            = "europe-west1"
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false

  template {
    service_account                  = google_service_account.run.email
    max_instance_request_concurrency = each.value.concurrency
    timeout                          = each.value.timeout

    scaling {
      min_instance_count = 0
      max_instance_count = each.value.max_instances
    }

    vpc_access {
      connector = google_vpc_access_connector.connector.id
      egress    = "PRIVATE_RANGES_ONLY"
    }

    containers {
      image = "europe-west1-docker.pkg.dev/golden-path-staging/apps/${each.value.image}"
      ports {
        container_port = 8080
      }
      resources {
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
      }
      startup_probe {
        http_get {
          path = "/healthz"
        }
      }
      dynamic "env" {
        for_each = each.key == "api" ? { LOG_LEVEL = "debug" } : {}
        content {
          name  = env.key
          value = env.value
        }
      }
      dynamic "env" {
        for_each = each.key == "api" ? { STRIPE_API_KEY = "api-stripe-key" } : {}
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest"
            }
          }
        }
      }
    }
  }
}
