// Herald on Azure for the Agents Toolkit's `arm/deploy` (teamsapp.yml, environment "dev"): a Linux App
// Service running `npm start` on Node LTS, the Azure Bot registration for the Entra app that
// aadApp/create made, and Azure Database for PostgreSQL (flexible server) behind DATABASE_URL.
// Outputs are written to env/.env.dev by the toolkit: https://aka.ms/teamsfx-actions/arm-deploy

@maxLength(42)
@description('Display name of the Azure Bot')
param botDisplayName string

@description('Used to name every resource; unique per resource group so a fresh clone needs no suffix')
param resourceBaseName string = 'herald-${uniqueString(resourceGroup().id)}'

param location string = resourceGroup().location
param webAppSku string = 'B1'

@description('Client id of the bot\'s single-tenant Entra app (aadApp/create: BOT_ID)')
param botAppId string
@description('Home tenant of the bot\'s Entra app (BOT_TENANT_ID)')
param botTenantId string
@secure()
param botPassword string

@description('The Entra app Herald calls Microsoft Graph as (AAD_APP_CLIENT_ID)')
param graphAppId string
param graphAppTenantId string
@secure()
param graphAppSecret string

@description('Teams app id (TEAMS_APP_ID): turns on the tenant-wide installedToChats subscriptions')
param teamsAppId string

param postgresAdminLogin string = 'herald'
@secure()
@minLength(16)
param postgresAdminPassword string
param postgresDatabaseName string = 'herald'

resource serverfarm 'Microsoft.Web/serverfarms@2022-09-01' = {
  name: resourceBaseName
  location: location
  kind: 'linux'
  sku: {
    name: webAppSku
  }
  properties: {
    reserved: true // Linux
  }
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2022-12-01' = {
  name: resourceBaseName
  location: location
  sku: {
    name: 'Standard_B1ms'
    tier: 'Burstable'
  }
  properties: {
    version: '16'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    storage: {
      storageSizeGB: 32
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
  }
}

resource postgresDatabase 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2022-12-01' = {
  parent: postgres
  name: postgresDatabaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// 0.0.0.0–0.0.0.0 is Azure's rule for "allow Azure services" (the App Service's outbound addresses).
resource postgresFirewallAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2022-12-01' = {
  parent: postgres
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

// The host name is known before the site exists, so PUBLIC_URL can be an app setting of the same site.
var publicHost = '${resourceBaseName}.azurewebsites.net'
var databaseUrl = 'postgres://${postgresAdminLogin}:${postgresAdminPassword}@${postgres.properties.fullyQualifiedDomainName}:5432/${postgresDatabaseName}?sslmode=require'

resource webApp 'Microsoft.Web/sites@2022-09-01' = {
  name: resourceBaseName
  location: location
  kind: 'app,linux'
  properties: {
    serverFarmId: serverfarm.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'NODE|24-lts'
      appCommandLine: 'npm start'
      alwaysOn: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      healthCheckPath: '/healthz'
      appSettings: [
        {
          // zipDeploy uploads the sources without node_modules; App Service's build (Oryx) installs them.
          name: 'SCM_DO_BUILD_DURING_DEPLOYMENT'
          value: 'true'
        }
        {
          // With the dev dependencies too: `npm start` compiles first, and tsc needs @types/node.
          name: 'NPM_CONFIG_PRODUCTION'
          value: 'false'
        }
        {
          name: 'PORT'
          value: '8080'
        }
        {
          name: 'PUBLIC_URL'
          value: 'https://${publicHost}'
        }
        {
          name: 'BOT_ID'
          value: botAppId
        }
        {
          name: 'BOT_PASSWORD'
          value: botPassword
        }
        {
          name: 'BOT_TYPE'
          value: 'SingleTenant'
        }
        {
          name: 'BOT_TENANT_ID'
          value: botTenantId
        }
        {
          name: 'AAD_APP_CLIENT_ID'
          value: graphAppId
        }
        {
          name: 'AAD_APP_CLIENT_SECRET'
          value: graphAppSecret
        }
        {
          name: 'AAD_APP_TENANT_ID'
          value: graphAppTenantId
        }
        {
          name: 'TEAMS_APP_ID'
          value: teamsAppId
        }
        {
          name: 'DATABASE_URL'
          value: databaseUrl
        }
        {
          // Keys, certificates and logs outside the deployed folder, on the site's persistent storage.
          name: 'DATA_DIR'
          value: '/home/data/herald'
        }
      ]
    }
  }
  dependsOn: [
    postgresDatabase
    postgresFirewallAzure
  ]
}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: resourceBaseName
  location: 'global'
  kind: 'azurebot'
  sku: {
    name: 'F0'
  }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${webApp.properties.defaultHostName}/api/messages'
    msaAppId: botAppId
    msaAppTenantId: botTenantId
    msaAppType: 'SingleTenant'
  }
}

resource botTeamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
  }
}

output AZURE_APP_SERVICE_RESOURCE_ID string = webApp.id
output BOT_DOMAIN string = webApp.properties.defaultHostName
output BOT_ENDPOINT string = 'https://${webApp.properties.defaultHostName}'
output AZURE_BOT_RESOURCE_ID string = bot.id
output POSTGRES_HOST string = postgres.properties.fullyQualifiedDomainName
