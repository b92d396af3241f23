package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real headless Chromium: two browser sessions on two different nodes of a
 * 3-node cluster (real gRPC between the nodes, real WebSockets) create, join, chat, see member and
 * unavailable events, and delete. Skipped when Debian's chromium/chromedriver are not installed
 * ({@code .ci/run} installs them, so CI always runs it). Leaves a screenshot in {@code
 * examples/target/browser-chat.png}. The skip is a class-level condition, not an assumption in
 * {@code @BeforeAll}, so that Surefire counts the test as skipped (with the reason in its report,
 * and logged once) instead of "Tests run: 0".
 */
@Timeout(180)
@ExtendWith(BrowserChatTest.NeedsChromium.class)
class BrowserChatTest {
  private static final File CHROMIUM = new File("/usr/bin/chromium");
  private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final List<DemoNode> nodes = new ArrayList<>();
  /**
   * Selenium warns that it has no DevTools (CDP) support for Debian's newer Chromium; this test does
   * not use CDP. Held here because java.util.logging keeps loggers only weakly.
   */
  private static final java.util.logging.Logger CDP_VERSION_FINDER =
      java.util.logging.Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

  @BeforeAll
  static void startCluster() {
    CDP_VERSION_FINDER.setLevel(java.util.logging.Level.SEVERE);
    List<String> peers = new ArrayList<>();
    for (String id : List.of("n1", "n2", "n3")) {
      DemoNode n = DemoNode.start(id, "127.0.0.1", 0, 0, List.copyOf(peers), Duration.ofSeconds(2));
      nodes.add(n);
      peers.add(n.node().address());
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
        nodes.stream().allMatch(n -> n.node().liveNodes().size() == 2));
    nodes.get(0).ensureRoom("room-a");
    nodes.get(1).ensureRoom("room-b");
    nodes.get(2).ensureRoom("room-c");
  }

  @AfterAll
  static void stopCluster() {
    for (DemoNode n : nodes) {
      n.close();
    }
  }

  private static WebDriver browser() {
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER)
        .usingAnyFreePort()
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.getPath());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1100,700");
    return new ChromeDriver(service, options);
  }

  private static void connect(WebDriver b, DemoNode node, String user) {
    b.get(node.pageUrl());
    b.findElement(By.id("name")).sendKeys(user);
    b.findElement(By.id("connect")).click();
    new WebDriverWait(b, WAIT).until(ExpectedConditions.textToBe(By.id("status"),
        "connected to node " + node.node().id() + " as " + user));
  }

  private static void clickRoomButton(WebDriver b, String room, String button) {
    click(b, By.cssSelector("#rooms li[data-room='" + room + "'] button." + button));
  }

  /**
   * Clicks what {@code by} finds; the room list is re-rendered whenever the directory changes, so
   * an element found a moment ago may be replaced: find it again until the click lands.
   */
  private static void click(WebDriver b, By by) {
    new WebDriverWait(b, WAIT)
        .ignoring(StaleElementReferenceException.class)
        .ignoring(org.openqa.selenium.ElementClickInterceptedException.class)
        .until(d -> {
          WebElement e = ExpectedConditions.elementToBeClickable(by).apply(d);
          if (e == null) {
            return false;
          }
          e.click();
          return true;
        });
  }

  private static void say(WebDriver b, String text) {
    WebElement input = b.findElement(By.id("text"));
    input.sendKeys(text);
    b.findElement(By.id("send")).click();
  }

  private static void awaitMessage(WebDriver b, String text) {
    new WebDriverWait(b, WAIT).until(ExpectedConditions.presenceOfElementLocated(
        By.xpath("//div[@id='messages']/div[contains(@class,'msg')][span[@class='text' and text()='" + text + "']]")));
  }

  private static List<String> transcript(WebDriver b) {
    List<String> out = new ArrayList<>();
    for (WebElement m : b.findElements(By.cssSelector("#messages .msg"))) {
      out.add(m.getAttribute("data-seq") + " " + m.findElement(By.className("user")).getText() + ": "
          + m.findElement(By.className("text")).getText());
    }
    return out;
  }

  @Test
  void twoBrowsersOnTwoNodesChat() throws Exception {
    WebDriver alice = browser();
    WebDriver bob = browser();
    try {
      DemoNode n1 = nodes.get(0);
      DemoNode n2 = nodes.get(1);
      connect(alice, n1, "alice");
      connect(bob, n2, "bob");

      // both join room-b, administered by n2
      clickRoomButton(alice, "room-b", "join");
      new WebDriverWait(alice, WAIT).until(ExpectedConditions.textToBe(By.id("room-title"), "# room-b"));
      clickRoomButton(bob, "room-b", "join");
      new WebDriverWait(bob, WAIT).until(ExpectedConditions.textToBe(By.id("room-title"), "# room-b"));
      new WebDriverWait(alice, WAIT).until(ExpectedConditions.textToBePresentInElementLocated(
          By.id("messages"), "bob joined"));

      say(alice, "hello from n1");
      say(bob, "hi alice, this is n2");
      say(alice, "ordered?");
      for (WebDriver b : List.of(alice, bob)) {
        awaitMessage(b, "hello from n1");
        awaitMessage(b, "hi alice, this is n2");
        awaitMessage(b, "ordered?");
      }
      List<String> seenByAlice = transcript(alice);
      assertThat(seenByAlice).hasSize(3);
      assertThat(transcript(bob)).as("both browsers show one order").isEqualTo(seenByAlice);

      // alice creates a room on n1; the page joins it; bob sees it in his list and joins too
      alice.findElement(By.id("new-room")).sendKeys("browser-room");
      alice.findElement(By.id("create")).click();
      new WebDriverWait(alice, WAIT).until(ExpectedConditions.textToBe(By.id("room-title"), "# browser-room"));
      clickRoomButton(bob, "browser-room", "join");
      new WebDriverWait(bob, WAIT).until(ExpectedConditions.textToBe(By.id("room-title"), "# browser-room"));
      say(bob, "new room works");
      awaitMessage(alice, "new room works");

      // room-c's admin n3 goes away: its members are told the room is unavailable
      clickRoomButton(alice, "room-c", "join");
      new WebDriverWait(alice, WAIT).until(ExpectedConditions.textToBe(By.id("room-title"), "# room-c"));
      Path shot = Path.of("target", "browser-chat.png");
      click(alice, By.cssSelector("#rooms li[data-room='room-b'] .name"));
      Files.createDirectories(shot.getParent());
      Files.copy(((ChromeDriver) alice).getScreenshotAs(OutputType.FILE).toPath(), shot,
          StandardCopyOption.REPLACE_EXISTING);
      click(alice, By.cssSelector("#rooms li[data-room='room-c'] .name"));
      nodes.get(2).close();
      new WebDriverWait(alice, WAIT).until(ExpectedConditions.visibilityOfElementLocated(By.id("room-banner")));
      assertThat(alice.findElement(By.id("messages")).getText()).contains("room unavailable");

      // alice deletes her room (n1 is its admin): bob's page drops it
      clickRoomButton(alice, "browser-room", "delete");
      new WebDriverWait(alice, WAIT).until(ExpectedConditions.alertIsPresent()).accept();
      new WebDriverWait(bob, WAIT).until(ExpectedConditions.invisibilityOfElementLocated(
          By.cssSelector("#rooms li[data-room='browser-room']")));
      assertThat(bob.findElement(By.id("log")).getText()).contains("room browser-room was deleted");
    } finally {
      alice.quit();
      bob.quit();
    }
  }

  /** Disables the class, with the reason, when Debian's chromium or chromedriver is missing. */
  static final class NeedsChromium implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      if (CHROMIUM.canExecute() && CHROMEDRIVER.canExecute()) {
        return ConditionEvaluationResult.enabled("chromium and chromedriver are installed");
      }
      String reason = "browser test skipped: install Debian's chromium and chromium-driver"
          + " (apt-get install -y chromium chromium-driver)";
      org.slf4j.LoggerFactory.getLogger(BrowserChatTest.class).warn(reason);
      return ConditionEvaluationResult.disabled(reason);
    }
  }
}
